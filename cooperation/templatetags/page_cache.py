"""`{% cached_fragment "name" %}…{% endcached_fragment %}`: a part of a page cached for its
readers (`cooperation.cache`). On a hit the part is not rendered at all, so the expensive
values it shows should reach the template unevaluated (`cooperation.cache.lazy`)."""

from django import template
from django.core.cache import cache

from cooperation.cache import fragment_key, page_cache_seconds

register = template.Library()


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: template.base.FilterExpression):
        self.nodelist = nodelist
        self.name = name

    def render(self, context) -> str:
        seconds = page_cache_seconds()
        request = context.get("request")
        if not seconds or request is None:
            return self.nodelist.render(context)
        key = fragment_key(request, str(self.name.resolve(context)))
        html = cache.get(key)
        if html is None:
            html = self.nodelist.render(context)
            cache.set(key, html, seconds)
        return html


@register.tag
def cached_fragment(parser, token) -> CachedFragmentNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one argument: the fragment's name.")
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    return CachedFragmentNode(nodelist, parser.compile_filter(bits[1]))
