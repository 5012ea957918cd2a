"""Each grid's inspections of each month (检查单位, 出动检查人员, 发现隐患, 已整改, and of those hazards the ones not
yet corrected) kept by the database as the records change: the reports read a county's month from ~500 rows
instead of every inspection and hazard in it, the county overview its uncorrected hazards from the few keys that
have any

The totals are recounted, not incremented: whatever changes an inspection or a hazard (a form, a timer, a cascade
of a deleted case, a bulk load), the database counts that grid's month again from the rows, so a total is always
what a direct count gives. Month boundaries are Beijing time (webapp/clock.py), as the reports' periods are.

Revision ID: 0045totals
Revises: 0044ovw4
Create Date: 2026-12-05 02:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0045totals'
down_revision = '0044ovw4'
branch_labels = None
depends_on = None

RECTIFIED = "('corrected_on_spot', 'rectified')"  # measures.RECTIFIED as it stands at this revision
UNCORRECTED = "('open', 'interview', 'escalated', 'referred')"  # reports.UNCORRECTED (the overview's 未整改隐患)
# How many inspectors an inspection names. The column is NOT NULL, but the JSON type writes Python None as JSON
# null, on which PostgreSQL's json_array_length raises (SQLite's gives 0): such a row would stop every write of
# its grid's month.
PG_NAMES = "CASE WHEN json_typeof({x}) = 'array' THEN json_array_length({x}) ELSE 0 END"
TRIGGERS = {  # name: table
    'inspection_month_total_insert': 'inspection', 'inspection_month_total_update': 'inspection',
    'inspection_month_total_delete': 'inspection', 'hazard_month_total_insert': 'inspection_hazard',
    'hazard_month_total_update': 'inspection_hazard', 'hazard_month_total_delete': 'inspection_hazard',
}

# --- PostgreSQL -----------------------------------------------------------------------------------------------

# The row is taken first (inserted or locked), then counted: under READ COMMITTED each statement of a volatile
# function sees what was committed before it began, so the count made while holding the row includes every
# other transaction that recounted the same month before us; the last to commit has counted everyone's rows.
PG_RECOUNT = f"""
CREATE OR REPLACE FUNCTION inspection_month_recount(g integer, at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    local_start timestamp := date_trunc('month', at AT TIME ZONE 'Asia/Shanghai');
    m varchar(7) := to_char(local_start, 'YYYY-MM');
    month_start timestamptz := local_start AT TIME ZONE 'Asia/Shanghai';
    month_end timestamptz := (local_start + interval '1 month') AT TIME ZONE 'Asia/Shanghai';
BEGIN
    INSERT INTO inspection_month_total (grid_id, month) VALUES (g, m) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM inspection_month_total t WHERE t.grid_id = g AND t.month = m FOR UPDATE;
    UPDATE inspection_month_total t SET
        (inspections, inspectors) = (
            SELECT count(*), coalesce(sum({PG_NAMES.format(x='i.inspectors')}), 0) FROM inspection i
            WHERE i.grid_id = g AND i.inspected_at >= month_start AND i.inspected_at < month_end),
        (hazards_found, hazards_rectified, hazards_open) = (
            SELECT count(*), count(*) FILTER (WHERE h.status IN {RECTIFIED}),
                   count(*) FILTER (WHERE h.status IN {UNCORRECTED})
            FROM inspection_hazard h JOIN inspection i ON i.id = h.inspection_id
            WHERE i.grid_id = g AND i.inspected_at >= month_start AND i.inspected_at < month_end)
    WHERE t.grid_id = g AND t.month = m;
END $$
"""

# An inspection's month when it moves: both keys recounted, in one order (grid, month), so that two moves between
# the same two months in opposite directions cannot deadlock.
PG_RECOUNT_TWO = """
CREATE OR REPLACE FUNCTION inspection_month_recount_two(g1 integer, at1 timestamptz, g2 integer, at2 timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF (g2, to_char(at2 AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'))
            < (g1, to_char(at1 AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')) THEN
        PERFORM inspection_month_recount(g2, at2);
        PERFORM inspection_month_recount(g1, at1);
    ELSE
        PERFORM inspection_month_recount(g1, at1);
        PERFORM inspection_month_recount(g2, at2);
    END IF;
END $$
"""

PG_ON_INSPECTION = """
CREATE OR REPLACE FUNCTION inspection_month_total_of_inspection() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM inspection_month_recount_two(OLD.grid_id, OLD.inspected_at, NEW.grid_id, NEW.inspected_at);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM inspection_month_recount(OLD.grid_id, OLD.inspected_at);
    ELSE
        PERFORM inspection_month_recount(NEW.grid_id, NEW.inspected_at);
    END IF;
    RETURN NULL;
END $$
"""

# A hazard counts in its inspection's month. Its inspections are held first (FOR SHARE, in id order): a move of
# one that has not committed is waited for, and none can move until this commits, so the months read next are
# the ones its counts belong in (else a hazard rectified while its inspection moved stayed in the old month's
# count). Once the inspection is gone (a cascade), the inspection's own trigger recounted.
PG_ON_HAZARD = """
CREATE OR REPLACE FUNCTION inspection_month_total_of_hazard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_grid integer; old_at timestamptz; new_grid integer; new_at timestamptz;
BEGIN
    PERFORM 1 FROM inspection i
    WHERE i.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.inspection_id END,
                   CASE WHEN TG_OP <> 'DELETE' THEN NEW.inspection_id END)
    ORDER BY i.id FOR SHARE;
    IF TG_OP <> 'INSERT' THEN
        SELECT i.grid_id, i.inspected_at INTO old_grid, old_at FROM inspection i WHERE i.id = OLD.inspection_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.inspection_id IS DISTINCT FROM OLD.inspection_id) THEN
        SELECT i.grid_id, i.inspected_at INTO new_grid, new_at FROM inspection i WHERE i.id = NEW.inspection_id;
    END IF;
    IF old_grid IS NOT NULL AND new_grid IS NOT NULL THEN
        PERFORM inspection_month_recount_two(old_grid, old_at, new_grid, new_at);
    ELSIF old_grid IS NOT NULL THEN
        PERFORM inspection_month_recount(old_grid, old_at);
    ELSIF new_grid IS NOT NULL THEN
        PERFORM inspection_month_recount(new_grid, new_at);
    END IF;
    RETURN NULL;
END $$
"""

INSPECTION_CHANGED = ("OLD.grid_id {ne} NEW.grid_id OR OLD.inspected_at {ne} NEW.inspected_at "
                      "OR {names_old} {ne} {names_new}")
HAZARD_CHANGED = (f"OLD.inspection_id {{ne}} NEW.inspection_id "
                  f"OR (OLD.status IN {RECTIFIED}) {{ne}} (NEW.status IN {RECTIFIED}) "
                  f"OR (OLD.status IN {UNCORRECTED}) {{ne}} (NEW.status IN {UNCORRECTED})")

PG_INSPECTION_CHANGED = INSPECTION_CHANGED.format(
    ne='IS DISTINCT FROM', names_old=PG_NAMES.format(x='OLD.inspectors'), names_new=PG_NAMES.format(x='NEW.inspectors'))
PG_TRIGGERS = [
    "CREATE TRIGGER inspection_month_total_insert AFTER INSERT ON inspection "
    "FOR EACH ROW EXECUTE FUNCTION inspection_month_total_of_inspection()",
    "CREATE TRIGGER inspection_month_total_update AFTER UPDATE OF grid_id, inspected_at, inspectors ON inspection "
    f"FOR EACH ROW WHEN ({PG_INSPECTION_CHANGED}) "
    "EXECUTE FUNCTION inspection_month_total_of_inspection()",
    "CREATE TRIGGER inspection_month_total_delete AFTER DELETE ON inspection "
    "FOR EACH ROW EXECUTE FUNCTION inspection_month_total_of_inspection()",
    "CREATE TRIGGER hazard_month_total_insert AFTER INSERT ON inspection_hazard "
    "FOR EACH ROW EXECUTE FUNCTION inspection_month_total_of_hazard()",
    "CREATE TRIGGER hazard_month_total_update AFTER UPDATE OF inspection_id, status ON inspection_hazard "
    f"FOR EACH ROW WHEN ({HAZARD_CHANGED.format(ne='IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION inspection_month_total_of_hazard()",
    "CREATE TRIGGER hazard_month_total_delete AFTER DELETE ON inspection_hazard "
    "FOR EACH ROW EXECUTE FUNCTION inspection_month_total_of_hazard()",
]
PG_FUNCTIONS = ("inspection_month_total_of_hazard()", "inspection_month_total_of_inspection()",
                "inspection_month_recount_two(integer, timestamptz, integer, timestamptz)",
                "inspection_month_recount(integer, timestamptz)")

# --- SQLite ---------------------------------------------------------------------------------------------------

# SQLite stores AwareDateTime as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff': the month is taken from the whole seconds
# (strftime rounds .9995 s up, which could move a moment into the next month), the bounds compare as text.
# One writer at a time: the count is exact without locks.
SQLITE_MONTH = "strftime('%Y-%m', substr({at}, 1, 19), '+8 hours')"
IN_MONTH = "i.grid_id = k.grid_id AND i.inspected_at >= k.month_start AND i.inspected_at < k.month_end"
SQLITE_RECOUNT = f"""
INSERT INTO inspection_month_total (grid_id, month, inspections, inspectors, hazards_found, hazards_rectified,
                                    hazards_open)
SELECT k.grid_id, k.month,
    (SELECT count(*) FROM inspection i WHERE {IN_MONTH}),
    (SELECT coalesce(sum(json_array_length(i.inspectors)), 0) FROM inspection i WHERE {IN_MONTH}),
    (SELECT count(*) FROM inspection_hazard h JOIN inspection i ON i.id = h.inspection_id WHERE {IN_MONTH}),
    (SELECT count(*) FROM inspection_hazard h JOIN inspection i ON i.id = h.inspection_id
     WHERE {IN_MONTH} AND h.status IN {RECTIFIED}),
    (SELECT count(*) FROM inspection_hazard h JOIN inspection i ON i.id = h.inspection_id
     WHERE {IN_MONTH} AND h.status IN {UNCORRECTED})
FROM (SELECT g AS grid_id, m AS month, datetime(m || '-01', '-8 hours') AS month_start,
             datetime(m || '-01', '+1 month', '-8 hours') AS month_end
      FROM (SELECT {{grid}} AS g, {SQLITE_MONTH.format(at='{at}')} AS m {{source}})) AS k
WHERE true
ON CONFLICT (grid_id, month) DO UPDATE SET inspections = excluded.inspections, inspectors = excluded.inspectors,
    hazards_found = excluded.hazards_found, hazards_rectified = excluded.hazards_rectified,
    hazards_open = excluded.hazards_open;
"""


def _sqlite_recount(row: str, via_inspection: bool) -> str:
    """The recount of the month of `row` (OLD or NEW): an inspection's own, or a hazard's inspection's."""
    if via_inspection:
        return SQLITE_RECOUNT.format(grid="i.grid_id", at="i.inspected_at",
                                     source=f"FROM inspection i WHERE i.id = {row}.inspection_id")
    return SQLITE_RECOUNT.format(grid=f"{row}.grid_id", at=f"{row}.inspected_at", source="")


SQLITE_NAMES = {"names_old": "json_array_length(OLD.inspectors)", "names_new": "json_array_length(NEW.inspectors)"}


def _sqlite_triggers() -> list[str]:
    triggers = []
    for table, prefix, hazard, changed, columns in (
            ('inspection', 'inspection', False, INSPECTION_CHANGED, 'grid_id, inspected_at, inspectors'),
            ('inspection_hazard', 'hazard', True, HAZARD_CHANGED, 'inspection_id, status')):
        triggers += [
            f"CREATE TRIGGER {prefix}_month_total_insert AFTER INSERT ON {table} "
            f"BEGIN {_sqlite_recount('NEW', hazard)} END",
            f"CREATE TRIGGER {prefix}_month_total_update AFTER UPDATE OF {columns} ON {table} "
            f"WHEN {changed.format(ne='IS NOT', **SQLITE_NAMES)} "
            f"BEGIN {_sqlite_recount('OLD', hazard)} {_sqlite_recount('NEW', hazard)} END",
            f"CREATE TRIGGER {prefix}_month_total_delete AFTER DELETE ON {table} "
            f"BEGIN {_sqlite_recount('OLD', hazard)} END",
        ]
    return triggers


def _backfill(month: str, names: str) -> str:
    return f"""
INSERT INTO inspection_month_total (grid_id, month, inspections, inspectors, hazards_found, hazards_rectified,
                                    hazards_open)
SELECT i.grid_id, {month.format(at='i.inspected_at')}, count(*), coalesce(sum({names.format(x='i.inspectors')}), 0),
       coalesce(sum(h.found), 0), coalesce(sum(h.rectified), 0), coalesce(sum(h.uncorrected), 0)
FROM inspection i LEFT JOIN (
    SELECT inspection_id, count(*) AS found, sum(CASE WHEN status IN {RECTIFIED} THEN 1 ELSE 0 END) AS rectified,
           sum(CASE WHEN status IN {UNCORRECTED} THEN 1 ELSE 0 END) AS uncorrected
    FROM inspection_hazard GROUP BY inspection_id) h ON h.inspection_id = i.id
GROUP BY 1, 2
"""


def upgrade():
    op.create_table(
        'inspection_month_total',
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('inspections', sa.Integer(), server_default='0', nullable=False),
        sa.Column('inspectors', sa.Integer(), server_default='0', nullable=False),
        sa.Column('hazards_found', sa.Integer(), server_default='0', nullable=False),
        sa.Column('hazards_rectified', sa.Integer(), server_default='0', nullable=False),
        sa.Column('hazards_open', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f('fk_inspection_month_total_grid_id_grid_node'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('grid_id', 'month', name=op.f('pk_inspection_month_total')),
    )
    # the overview counts uncorrected hazards from the keys that still have any (few, however many months pass)
    op.create_index('ix_inspection_month_total_open', 'inspection_month_total', ['grid_id', 'hazards_open'],
                    postgresql_where=sa.text('hazards_open > 0'), sqlite_where=sa.text('hazards_open > 0'))
    if op.get_bind().dialect.name == 'postgresql':
        for function in (PG_RECOUNT, PG_RECOUNT_TWO, PG_ON_INSPECTION, PG_ON_HAZARD):
            op.execute(function)
        statements = PG_TRIGGERS
        month, names = "to_char({at} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')", PG_NAMES
    else:
        statements = _sqlite_triggers()
        month, names = SQLITE_MONTH, "json_array_length({x})"
    op.execute(_backfill(month, names))
    for statement in statements:
        op.execute(statement)


def downgrade():
    for name, table in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if op.get_bind().dialect.name == 'postgresql'
                                                       else ""))
    if op.get_bind().dialect.name == 'postgresql':
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table('inspection_month_total')
