"""A web process sets aside what it loaded at start-up from Python's cyclic garbage collector.

A full (oldest-generation) collection walks every tracked object, and a started Django process
holds a few hundred thousand of them (modules, models, URL patterns, views, DRF serializers)
that live as long as the process. Measured with bench/api.py at 1,000,000 rows on a quiet
machine, those collections were the API's slow requests: 2-6 of the 64 filter combinations
had a p99 of 170-280 ms (p95 14-48 ms) in every run, in different combinations each time, and
none above 45 ms with the collector switched off. `gc.freeze()` (Python 3.7+) moves every
object alive now into a permanent generation that collections skip; what requests allocate is
still collected as before.
"""

import gc
import weakref


def settle_after_startup() -> int:
    """Import the whole URL configuration (every view module), collect once, then freeze what
    is left. Returns how many objects were frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module now, not on a request
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def release_response_cycles(response) -> None:
    """Break the reference cycles Django REST framework leaves between a response, its view and
    its request, once the response has been sent.

    The response's renderer context holds the response itself, the view and the request; the
    view holds the response and the request; the request's parser context holds the view. So a
    whole API page (100 row dicts, their strings, the rendered body) could only be freed by the
    cyclic collector, which then freed tens of requests' worth at once: at 1,000,000 rows
    bench/api.py measured those collections at 2-11 ms (young) and 10-40 ms (full), the spikes
    in the list's p99. With the cycles cut, reference counting frees each response as soon as
    the server lets go of it."""
    context = getattr(response, "renderer_context", None)
    if not context:
        return
    view, request = context.get("view"), context.get("request")
    context.clear()
    if view is not None:
        vars(view).clear()
    if getattr(request, "parser_context", None):
        request.parser_context = None


class ReleaseReferenceCycles:
    """Outermost middleware: cuts a response's reference cycles when the server closes it
    (after the body is sent; Django's test client does the same before returning it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A weak reference: a closer holding the response would itself be a cycle.
        sent = weakref.ref(response)
        response._resource_closers.append(lambda: _release(sent))
        return response


def _release(sent: weakref.ref) -> None:
    response = sent()
    if response is not None:
        release_response_cycles(response)
