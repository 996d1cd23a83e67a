"""Types of another area, named without importing that area's module up front.

The areas' type modules import each other one way (users <- runs <- artifacts <-
registries <- orgs <- automations). A type that refers to one of a *later* area declares
the reference as strawberry does, `Annotated["Project", strawberry.lazy("...types")]`,
and builds instances through `lazy_type` on that same annotation: the module is imported
when a field first needs it, after every module has loaded, so no import runs in a cycle.
"""

from functools import cache
from typing import Any, get_args

from strawberry.types.lazy_type import StrawberryLazyReference


@cache
def lazy_type(annotation: Any) -> Any:
    """The class an `Annotated["Name", strawberry.lazy(module)]` annotation names."""
    forward, *extras = get_args(annotation)
    reference = next(e for e in extras if isinstance(e, StrawberryLazyReference))
    return reference.resolve_forward_ref(forward).resolve_type()
