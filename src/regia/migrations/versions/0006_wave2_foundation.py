"""wave 2 foundation: organisation type firm

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


ORG_TYPES = ('region', 'fund', 'provider', 'partnership', 'cciaa', 'employers_association', 'education',
             'bank_foundation', 'professional_order', 'business_network', 'certifier', 'citizen')
ROLES = ('admin', 'editor', 'viewer', 'evaluator')


def _org_type(*values: str) -> sa.Enum:
    return sa.Enum(*values, name='org_type', native_enum=False, create_constraint=True, length=32)


def _role(*values: str) -> sa.Enum:
    return sa.Enum(*values, name='member_role', native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    """Upgrade schema: organisations of type firm; the assessor role (IVC)."""
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.alter_column('type', existing_type=_org_type(*ORG_TYPES), type_=_org_type(*ORG_TYPES, 'firm'),
                              existing_nullable=False)
    with op.batch_alter_table('membership') as batch_op:
        batch_op.alter_column('role', existing_type=_role(*ROLES), type_=_role(*ROLES, 'assessor'),
                              existing_nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('membership') as batch_op:
        batch_op.alter_column('role', existing_type=_role(*ROLES, 'assessor'), type_=_role(*ROLES),
                              existing_nullable=False)
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.alter_column('type', existing_type=_org_type(*ORG_TYPES, 'firm'), type_=_org_type(*ORG_TYPES),
                              existing_nullable=False)
