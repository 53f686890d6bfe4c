"""The six OCOP product groups and their product sets ("nhóm" and "bộ sản phẩm").

A profile may have its own catalogue (Decision 26/2026's Phụ lục I lists 26 official sets); a
set of a newer catalogue names the sets of the older ones it takes over (``replaces``), so a
dossier filed for an older set is scored on the newer set's sheet.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ocop_cycle.text import Name

__all__ = ["Catalogue", "ProductGroup", "ProductSet"]

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class ProductSet(BaseModel):
    """A product set: products scored on one sheet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    name_vi: Name
    name_en: Name
    #: The set's number in the decision (the number of its sheet), where it has one.
    number: int | None = Field(default=None, ge=1)
    #: Where the decision lists it ("I.1.a": group, "nhóm", "phân nhóm").
    annex_ref: str | None = None
    #: The "nhóm" it belongs to within its group.
    category_vi: Name | None = None
    #: The ministries that manage it ("cơ quan chủ trì quản lý").
    ministries_vi: tuple[Name, ...] = ()
    #: Codes of older catalogues' sets this set takes over.
    replaces: tuple[Code, ...] = ()


class ProductGroup(BaseModel):
    """One of the six product groups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    number: int = Field(ge=1, le=6)
    name_vi: Name
    name_en: Name
    sets: tuple[ProductSet, ...] = Field(min_length=1)

    def covers(self, code: str) -> bool:
        """Whether ``code`` is one of this group's sets, or a set one of them replaces."""
        return any(s.code == code or code in s.replaces for s in self.sets)


class Catalogue(BaseModel):
    """All groups; every set code, and every code a set replaces, is unique across groups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The text it was taken from, where it is official.
    source: str | None = None
    groups: tuple[ProductGroup, ...]

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalogue:
        seen: set[str] = set()
        for group in self.groups:
            for product_set in group.sets:
                if product_set.code in seen:
                    raise ValueError(f"product set {product_set.code!r} appears twice")
                seen.add(product_set.code)
        for group in self.groups:
            for product_set in group.sets:
                for old in product_set.replaces:
                    if old in seen:
                        raise ValueError(f"{old!r} is replaced twice or is a set here")
                    seen.add(old)
        if len({g.code for g in self.groups}) != len(self.groups):
            raise ValueError("group codes must be unique")
        return self

    def resolve(self, code: str) -> str | None:
        """The set code for ``code``: itself if it is a set here, else the set replacing it."""
        for group in self.groups:
            for product_set in group.sets:
                if product_set.code == code or code in product_set.replaces:
                    return product_set.code
        return None

    def group(self, code: str) -> ProductGroup | None:
        """The group with this code, if any."""
        return next((g for g in self.groups if g.code == code), None)

    def group_of(self, set_code: str) -> ProductGroup | None:
        """The group holding this product set, if any."""
        return next((g for g in self.groups if any(s.code == set_code for s in g.sets)), None)
