"""Referrals to any receiving department (接收部门), joint and bundled; department logins; villages' reports up;
what units send through their notice's link

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 17:13:04

The police and fire receivers keep their rows (the receiver table is unchanged). Each case that was already
referred gets its letter as a referral with one addressee (the receiver it named, matched by name in its town)
and its referred hazards as items, so a department's login sees its earlier referrals too; a recorded
feedback carries over as the addressee's result.
"""
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_receiver_account',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['receiver_id'], ['inspection_referral_receiver.id'], name=op.f('fk_inspection_receiver_account_receiver_id_inspection_referral_receiver'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_inspection_receiver_account_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_inspection_receiver_account'))
    )
    with op.batch_alter_table('inspection_receiver_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_receiver_account_receiver_id'), ['receiver_id'], unique=False)

    op.create_table('inspection_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('inspection_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('feedback_days', sa.Integer(), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_inspection_referral_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_inspection_referral_document_id_document')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_referral_inspection_id_inspection'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name=op.f('fk_inspection_referral_town_id_grid_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_referral'))
    )
    with op.batch_alter_table('inspection_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_referral_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_referral_town_id'), ['town_id'], unique=False)

    op.create_table('inspection_unit_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('applicant', sa.String(length=50), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_unit_submission_inspection_id_inspection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_unit_submission'))
    )
    with op.batch_alter_table('inspection_unit_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_unit_submission_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('inspection_referral_addressee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('accepted_by', sa.String(length=50), nullable=False),
    sa.Column('feedback_on', sa.Date(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['receiver_id'], ['inspection_referral_receiver.id'], name=op.f('fk_inspection_referral_addressee_receiver_id_inspection_referral_receiver')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_inspection_referral_addressee_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['inspection_referral.id'], name=op.f('fk_inspection_referral_addressee_referral_id_inspection_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_referral_addressee')),
    sa.UniqueConstraint('referral_id', 'receiver_id', name='uq_referral_addressee')
    )
    with op.batch_alter_table('inspection_referral_addressee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_referral_addressee_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_referral_addressee_receiver_id'), ['receiver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_referral_addressee_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_referral_addressee_status'), ['status'], unique=False)

    op.create_table('inspection_referral_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['inspection_hazard.id'], name=op.f('fk_inspection_referral_item_hazard_id_inspection_hazard'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['hazard_lead.id'], name=op.f('fk_inspection_referral_item_lead_id_hazard_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referral_id'], ['inspection_referral.id'], name=op.f('fk_inspection_referral_item_referral_id_inspection_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_inspection_referral_item_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_referral_item'))
    )
    with op.batch_alter_table('inspection_referral_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_referral_item_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_referral_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('inspection_report_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f('fk_inspection_report_up_grid_id_grid_node')),
    sa.ForeignKeyConstraint(['hazard_id'], ['inspection_hazard.id'], name=op.f('fk_inspection_report_up_hazard_id_inspection_hazard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['hazard_lead.id'], name=op.f('fk_inspection_report_up_lead_id_hazard_lead'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referral_id'], ['inspection_referral.id'], name=op.f('fk_inspection_report_up_referral_id_inspection_referral'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user_account.id'], name=op.f('fk_inspection_report_up_reported_by_id_user_account')),
    sa.ForeignKeyConstraint(['town_id'], ['grid_node.id'], name=op.f('fk_inspection_report_up_town_id_grid_node')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_inspection_report_up_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_report_up'))
    )
    with op.batch_alter_table('inspection_report_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_report_up_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_report_up_town_id'), ['town_id'], unique=False)

    _copy_case_referrals()


CASE_REFERRALS = sa.text(
    "SELECT i.id, i.unit_id, i.referral_document_id, i.referred_on, i.referral_receiver, i.feedback_on, "
    "i.feedback_measures, i.feedback_result, t.id AS town_id, d.title FROM inspection i "
    "JOIN grid_node g ON g.id = i.grid_id JOIN grid_node t ON t.level = 'town' AND g.path LIKE t.path || '%' "
    "JOIN document d ON d.id = i.referral_document_id WHERE i.referred_on IS NOT NULL ORDER BY i.id")


def _day(value):
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value)[:10])


def _copy_case_referrals():
    bind = op.get_bind()
    for row in bind.execute(CASE_REFERRALS).mappings().all():
        referred_on = _day(row["referred_on"])
        bind.execute(sa.text(
            "INSERT INTO inspection_referral (town_id, document_id, inspection_id, title, feedback_days, referred_on) "
            "VALUES (:town, :doc, :inspection, :title, 15, :day)"),
            {"town": row["town_id"], "doc": row["referral_document_id"], "inspection": row["id"],
             "title": row["title"][:200], "day": referred_on})
        referral_id = bind.execute(sa.text("SELECT MAX(id) FROM inspection_referral")).scalar()
        bind.execute(sa.text(
            "INSERT INTO inspection_referral_item (referral_id, unit_id, hazard_id, description, location) "
            "SELECT :referral, :unit, id, description, location FROM inspection_hazard "
            "WHERE inspection_id = :inspection AND status IN ('referred', 'closed')"),
            {"referral": referral_id, "unit": row["unit_id"], "inspection": row["id"]})
        receiver = bind.execute(sa.text(
            "SELECT id, feedback_days FROM inspection_referral_receiver WHERE grid_id = :town AND name = :name"),
            {"town": row["town_id"], "name": row["referral_receiver"]}).first()
        if receiver is None:
            continue
        bind.execute(sa.text(
            "INSERT INTO inspection_referral_addressee (referral_id, receiver_id, due_on, status, accepted_on, "
            "accepted_by, feedback_on, measures, result, files) VALUES (:referral, :receiver, :due, :status, "
            ":feedback_on, '', :feedback_on, :measures, :result, '[]')"),
            {"referral": referral_id, "receiver": receiver.id, "due": referred_on + timedelta(days=receiver.feedback_days),
             "status": "answered" if row["feedback_on"] else "sent", "feedback_on": _day(row["feedback_on"]),
             "measures": row["feedback_measures"] or "", "result": row["feedback_result"] or ""})


def downgrade():
    with op.batch_alter_table('inspection_report_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_report_up_town_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_report_up_status'))

    op.drop_table('inspection_report_up')
    with op.batch_alter_table('inspection_referral_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_referral_item_unit_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_referral_item_referral_id'))

    op.drop_table('inspection_referral_item')
    with op.batch_alter_table('inspection_referral_addressee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_referral_addressee_status'))
        batch_op.drop_index(batch_op.f('ix_inspection_referral_addressee_referral_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_referral_addressee_receiver_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_referral_addressee_due_on'))

    op.drop_table('inspection_referral_addressee')
    with op.batch_alter_table('inspection_unit_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_unit_submission_inspection_id'))

    op.drop_table('inspection_unit_submission')
    with op.batch_alter_table('inspection_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_referral_town_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_referral_inspection_id'))

    op.drop_table('inspection_referral')
    with op.batch_alter_table('inspection_receiver_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_receiver_account_receiver_id'))

    op.drop_table('inspection_receiver_account')
