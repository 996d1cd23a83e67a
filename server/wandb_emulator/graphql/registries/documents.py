"""What a registry filter document sees of a project."""

from typing import Any

from ...records import ProjectRec


def project_document(rec: ProjectRec) -> dict[str, Any]:
    """The fields a registry filter can test."""
    return {
        "id": rec.id,
        "project_id": rec.id,
        "name": rec.name,
        "entity_id": rec.entity_id,
        "description": rec.description,
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "updated_at": rec.updated_at,
        "updatedAt": rec.updated_at,
    }
