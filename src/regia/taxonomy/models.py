"""The shared vocabulary: concepts of every classification, their labels, texts and relations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regia.db import Base

# Concept types, as used by `regia taxonomy search --type`.
OCCUPATION = "occupation"
SKILL = "skill"
SKILL_GROUP = "skill_group"
ISCO = "isco"
CP = "cp"
ATECO = "ateco"
TERRITORY = "territory"
CONCEPT_TYPES = (OCCUPATION, SKILL, SKILL_GROUP, ISCO, CP, ATECO, TERRITORY)

# Relation types.
BROADER = "broader"  # source is narrower than target
ESSENTIAL_SKILL = "essential_skill"  # occupation -> skill
OPTIONAL_SKILL = "optional_skill"  # occupation -> skill
SKILL_ESSENTIAL_FOR = "skill_essential"  # skill -> skill (ESCO skillSkillRelations)
SKILL_OPTIONAL_FOR = "skill_optional"
ISCO_DERIVED = "isco_derived"  # cp -> isco, derived via ESCO
ATECO_CORRESPONDS = "ateco_correspondence"  # ateco 2025 -> ateco 2022
# CP2011 <-> ESCO crosswalk relations keep their SKOS name (cp -> occupation).
CROSSWALK_PREFIX = "skos:"


class Concept(Base):
    __tablename__ = "concept"
    __table_args__ = (UniqueConstraint("scheme", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    scheme: Mapped[str] = mapped_column(String(20))  # esco, isco08, cp2011, ateco2007/2022/2025, territory
    code: Mapped[str] = mapped_column(String(200))  # public id: ESCO URI, or the standard's own code
    uri: Mapped[str | None] = mapped_column(String(200), unique=True)
    level: Mapped[str | None] = mapped_column(String(20))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    labels: Mapped[list[Label]] = relationship(back_populates="concept", cascade="all, delete-orphan")
    texts: Mapped[list[ConceptText]] = relationship(cascade="all, delete-orphan")


class Label(Base):
    __tablename__ = "label"
    __table_args__ = (
        UniqueConstraint("concept_id", "lang", "kind", "text"),
        Index("ix_label_concept_lang", "concept_id", "lang"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(12))  # preferred, alternative, hidden
    text: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(Text)  # normalised search form (see taxonomy.normalize)

    concept: Mapped[Concept] = relationship(back_populates="labels")


class ConceptText(Base):
    __tablename__ = "concept_text"
    __table_args__ = (UniqueConstraint("concept_id", "lang", "field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(20))  # description, definition, scope_note
    text: Mapped[str] = mapped_column(Text)


class Relation(Base):
    __tablename__ = "concept_relation"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "type"),
        Index("ix_relation_target", "target_id", "type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    attrs: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CollectionMember(Base):
    """Membership in ESCO collections: digital, green, transversal, language, digcomp, research."""

    __tablename__ = "concept_collection"
    __table_args__ = (UniqueConstraint("concept_id", "collection"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"))
    collection: Mapped[str] = mapped_column(String(20), index=True)


class Geometry(Base):
    """GeoJSON geometry of a territory (provinces), for maps drawn without a tile server."""

    __tablename__ = "concept_geometry"

    concept_id: Mapped[int] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), primary_key=True)
    geojson: Mapped[str] = mapped_column(Text)
