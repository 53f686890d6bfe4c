"""The six OCOP product groups and their product sets ("nhóm" and "bộ sản phẩm")."""

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


class ProductGroup(BaseModel):
    """One of the six product groups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    number: int = Field(ge=1, le=6)
    name_vi: Name
    name_en: Name
    sets: tuple[ProductSet, ...] = Field(min_length=1)


class Catalogue(BaseModel):
    """All groups; every set code is unique across groups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    groups: tuple[ProductGroup, ...]

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalogue:
        seen: set[str] = set()
        for group in self.groups:
            for product_set in group.sets:
                if product_set.code in seen:
                    raise ValueError(f"product set {product_set.code!r} appears twice")
                seen.add(product_set.code)
        if len({g.code for g in self.groups}) != len(self.groups):
            raise ValueError("group codes must be unique")
        return self

    def group(self, code: str) -> ProductGroup | None:
        """The group with this code, if any."""
        return next((g for g in self.groups if g.code == code), None)

    def group_of(self, set_code: str) -> ProductGroup | None:
        """The group holding this product set, if any."""
        return next((g for g in self.groups if any(s.code == set_code for s in g.sets)), None)
