"""Every table module, imported so that the metadata (and Alembic) sees all of them.

A new area keeps its tables in its own module under storage/ and is imported here.
"""

from storage import business_models, channel_models, models, step_models, web_models  # noqa: F401
from storage.models import Base

__all__ = ["Base"]
