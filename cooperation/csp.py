"""The Content Security Policy, with the one relaxation the admin needs.

The policy itself is CONTENT_SECURITY_POLICY in settings: nothing inline anywhere. Under
/admin/, django-simple-history's history page carries one inline style attribute
(`style="border-top: 0"` on its paginator); that exact attribute is allowed there by its hash,
with 'unsafe-hashes', and nothing else is.
"""

from csp.middleware import CSPMiddleware
from django.urls import reverse

ADMIN_STYLE_HASHES = [
    "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",  # border-top: 0
]


class ConcordCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's one inline style allowed by its hash."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(reverse("admin:index")):
            update = dict(parts.update or {})
            update["style-src"] = ["'unsafe-hashes'", *ADMIN_STYLE_HASHES]
            parts.update = update
        return parts
