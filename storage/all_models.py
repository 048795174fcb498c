"""Every table module, imported so that the metadata (and Alembic) sees all of them.

A new area keeps its tables in its own module under storage/ and is imported here.
"""

from storage import (  # noqa: F401
    business_models,
    channel_models,
    gate_models,
    health_models,
    models,
    quality_models,
    step_models,
    terms_models,
    web_models,
    workload_models,
)
from storage.models import Base

__all__ = ["Base"]
