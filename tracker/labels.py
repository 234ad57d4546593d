"""Labels declared next to what they label: enums with translated member labels, and the labels
columns and models declare, read by forms, the history of changes, importer messages and
exports."""

from enum import StrEnum

import sqlalchemy as sa
from flask_babel import get_locale

_LABELS: dict = {}


class LabelledEnum(StrEnum):
    """A string enum whose members carry a lazily translated label (``__labels__`` by value)."""

    @property
    def label(self):
        return type(self).__labels__[self.value]

    @property
    def text(self) -> str:
        """The label translated now, cached per language (for long tables)."""

        key = (type(self).__name__, self.value, str(get_locale()))
        cached = _LABELS.get(key)
        if cached is None:
            cached = _LABELS[key] = str(self.label)
        return cached

    @classmethod
    def choices(cls):
        """(value, label) pairs for a select field."""
        return [(m.value, m.label) for m in cls]


# -- labels -------------------------------------------------------------------------------------
#
# What a reader calls a column or a record is declared where it is declared, once: a column says
# ``mapped_column(..., info={"label": _l("Due date")})`` (a relationship the same way), a model
# ``__label__ = _l("Commitment")``. Forms, the history of changes and exports read them here.
# ``info={"in_history": False}`` leaves a column out of the history of changes (the record's
# place in its parent, which the page shows, ordering and technical fields); ``__display__``
# names the column that shows a record where another one refers to it (a unit by its name).


def _info(attribute) -> dict:
    """The ``info`` of a column, a model attribute (``Commitment.due_on``) or a relationship."""
    prop = getattr(attribute, "property", attribute)  # an instrumented attribute -> its property
    if isinstance(prop, sa.orm.ColumnProperty):
        return prop.columns[0].info
    return prop.info


_NO_DEFAULT = object()


def label_of(attribute, default=_NO_DEFAULT):
    """The lazily translated label a column or relationship declares (``info["label"]``);
    `default` if it declares none, or LookupError when no default is given."""
    label = _info(attribute).get("label", default)
    if label is _NO_DEFAULT:
        raise LookupError(f"{attribute} declares no label (info={{'label': ...}})")
    return label


def kind_label(model_or_obj):
    """What a record of this model is called (its ``__label__``), lazily translated."""
    cls = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    try:
        return cls.__dict__["__label__"]
    except KeyError:
        raise LookupError(f"{cls.__name__} declares no __label__") from None


def in_history(column) -> bool:
    """Whether the history of changes shows changes to this column."""
    return _info(column).get("in_history", True)
