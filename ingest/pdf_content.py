"""How much page content pypdf would parse to extract a page's text, forms drawn included.

pypdf parses content in Python, slowly, and draws a form XObject again at each use: a file of a
kilobyte whose page draws a large form thousands of times holds a worker for a very long time.
Measuring first lets the PDF loader refuse such a file before parsing it.
"""

import re
from typing import Any

from pypdf import PageObject
from pypdf.generic import DictionaryObject, StreamObject

# A name operand then the Do operator: "/X0 Do". Names may escape bytes as #xx.
_DO = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s*Do(?![^\s/\[\]<>(){}%])")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_DEPTH = 8  # forms drawing forms; deeper ones count as the deepest measured


class ContentMeter:
    """Bytes of content a text extraction walks; one per document, since forms are shared."""

    def __init__(self) -> None:
        self._form_cost: dict[object, int] = {}

    def page_cost(self, page: PageObject) -> int:
        contents = page.get_contents()
        if contents is None:
            return 0
        return self._cost(contents.get_data(), _resolve(page.get("/Resources")), 0)

    def _cost(self, data: bytes, resources: DictionaryObject | None, depth: int) -> int:
        forms = _forms(resources)
        cost = len(data)
        if not forms or depth >= _MAX_DEPTH:
            return cost
        for match in _DO.finditer(data):
            name = "/" + _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), match[1]).decode("latin-1")
            form = forms.get(name)
            if form is not None:
                cost += self._form(form, resources, depth)
        return cost

    def _form(self, form: StreamObject, resources: DictionaryObject | None, depth: int) -> int:
        reference = form.indirect_reference
        key = (reference.idnum, reference.generation) if reference is not None else id(form)
        if key not in self._form_cost:
            self._form_cost[key] = 0  # a form that draws itself adds nothing more
            own = _resolve(form.get("/Resources")) or resources
            self._form_cost[key] = self._cost(form.get_data(), own, depth + 1)
        return self._form_cost[key]


def _forms(resources: DictionaryObject | None) -> dict[str, StreamObject]:
    xobjects = _resolve(resources.get("/XObject")) if resources is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return {}
    forms: dict[str, StreamObject] = {}
    for name, value in xobjects.items():
        stream = _resolve(value)
        if isinstance(stream, StreamObject) and stream.get("/Subtype") == "/Form":
            forms[str(name)] = stream
    return forms


def _resolve(value: Any) -> Any:
    return value.get_object() if value is not None else None
