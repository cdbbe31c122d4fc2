"""Import in the admin: upload a file, see the dry run's report (every error by row and column),
confirm to write it. Staff with the add permission of the kind only; the size limit is checked
before the upload is read."""

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from cooperation.imports import KINDS, import_file, size_check
from cooperation.imports.reading import FileRefused

SESSION_KEY = "concord-import-uploads"
SHOWN_ROWS = 500
# Room the multipart framing and the other fields take around the file itself.
FORM_OVERHEAD = 64 * 1024
# A previewed file not confirmed within this long is deleted at the next preview.
KEPT_SECONDS = 24 * 3600


def uploads_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def uploads_prune() -> None:
    """Delete the previewed files no one confirmed within `KEPT_SECONDS`."""
    expired = time.time() - KEPT_SECONDS
    for kept in uploads_dir().glob("*"):
        if kept.is_file() and kept.stat().st_mtime < expired:
            kept.unlink(missing_ok=True)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of record"))
    file = forms.FileField(
        label=gettext_lazy("File"), help_text=gettext_lazy("CSV (UTF-8) or Excel (.xlsx).")
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (kind, str(KINDS[kind].label).capitalize()) for kind in kinds
        ]


class SizeLimitHandler(FileUploadHandler):
    """Stops reading an upload as soon as it passes IMPORT_MAX_BYTES."""

    too_big = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_BYTES:
            self.too_big = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


class ImportAdminMixin:
    """An Import button on the change list and its page at `<model>/import/`."""

    change_list_template = "admin/cooperation/change_list_import.html"
    import_kinds: list[str] = []

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import"
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name=name),
            *super().get_urls(),
        ]

    def _kinds_allowed(self, request) -> list[str]:
        return [kind for kind in self.import_kinds if KINDS[kind].may_import(request.user)]

    @csrf_exempt
    def import_view(self, request):
        # CSRF is checked below, once the upload handlers that enforce the limit are in place.
        handler = SizeLimitHandler(request)
        if request.method == "POST":
            request.upload_handlers.insert(0, handler)
        return csrf_protect(self._import_page)(request, handler)

    def _import_page(self, request, handler):
        kinds = self._kinds_allowed(request)
        if not kinds:
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(kind)s") % {"kind": self.opts.verbose_name_plural},
            "limit_mb": number_format(settings.IMPORT_MAX_BYTES / 1024 / 1024, 1),
            "templates": [(kind, KINDS[kind].label) for kind in kinds],
        }
        if request.method != "POST":
            context["form"] = ImportForm(kinds=kinds)
            return TemplateResponse(request, "admin/cooperation/import.html", context)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.IMPORT_MAX_BYTES + FORM_OVERHEAD:
            return self._refused(request, context, kinds, length)
        if "token" in request.POST:
            return self._confirm(request, kinds)
        form = ImportForm(request.POST, request.FILES, kinds=kinds)
        if handler.too_big:
            return self._refused(request, context, kinds, settings.IMPORT_MAX_BYTES + 1)
        context["form"] = form
        if not form.is_valid():
            return TemplateResponse(request, "admin/cooperation/import.html", context)
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        report = import_file(
            kind=kind, stream=upload, size=upload.size, user=request.user, dry_run=True
        )
        context.update(
            report=report,
            kind=kind,
            shown=report.outcomes[:SHOWN_ROWS],
            errors=[str(error) for error in report.errors[:SHOWN_ROWS]],
            more_errors=max(0, len(report.errors) - SHOWN_ROWS),
            error_rows=report.errors[:SHOWN_ROWS],
        )
        if not report.errors:
            context["token"] = self._keep(request, upload, kind)
        return TemplateResponse(request, "admin/cooperation/import.html", context)

    def _refused(self, request, context, kinds, size):
        context["form"] = ImportForm(kinds=kinds)
        try:
            size_check(size)
        except FileRefused as refused:
            context["refused"] = refused.message
        return TemplateResponse(request, "admin/cooperation/import.html", context, status=413)

    def _keep(self, request, upload, kind: str) -> str:
        """Keep the previewed file until it is confirmed; its token lives in the session."""
        token = uuid.uuid4().hex
        uploads_dir().mkdir(parents=True, exist_ok=True)
        uploads_prune()
        with open(uploads_dir() / token, "wb") as kept:
            for chunk in upload.chunks():
                kept.write(chunk)
        request.session[SESSION_KEY] = {
            **request.session.get(SESSION_KEY, {}),
            token: {"kind": kind, "name": upload.name},
        }
        return token

    def _confirm(self, request, kinds):
        token = request.POST["token"]
        kept = request.session.get(SESSION_KEY, {}).pop(token, None)
        request.session.modified = True
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        file = uploads_dir() / token if token.isalnum() else None
        if kept is None or kept["kind"] not in kinds or file is None or not file.exists():
            messages.error(
                request, _("That import was already done or has expired; upload the file again.")
            )
            return redirect(changelist)
        try:
            with open(file, "rb") as stream:
                report = import_file(
                    kind=kept["kind"], stream=stream, size=file.stat().st_size, user=request.user
                )
        finally:
            file.unlink(missing_ok=True)
        if report.errors:
            messages.error(
                request,
                _("Nothing was imported: %(summary)s. Upload the file again to see the errors.")
                % {"summary": report.summary},
            )
        else:
            messages.success(
                request,
                _("Imported %(name)s: %(summary)s.")
                % {"name": kept["name"], "summary": report.summary},
            )
        return redirect(changelist)
