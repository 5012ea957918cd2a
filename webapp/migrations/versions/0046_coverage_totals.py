"""The county overview's coverage (本月走访覆盖率) kept by the database: per grid and month, its units by the month
of their entry (`grid_unit_total`; the units at a month's end are the sum over the months up to it) and the units
now in the grid, entered by the month's end, that some procedure visited in the month (`grid_visit_total`), so
the overview reads ~500 rows instead of a county's 100,000 units and its month of inspections and patrols.

As with the inspections' monthly totals (0045totals), a total is recounted, never incremented: whatever changes
a unit (entered, moved to another grid, re-dated, deleted) or a visit (recorded, re-dated, given another unit,
deleted) — a form, an import, a bulk load — the database counts the keys it touches again from the rows, so every
total is what a direct count gives. A unit is counted where it lies now: moving it recounts its old and its new
grid for every month in which it has a visit. Month boundaries are Beijing time (webapp/clock.py).

The visits are the procedures' (`visited_unit_ids` in webapp/cases/registry.py): at this revision inspections and
patrols, named below. A procedure that starts recording visits needs a migration that adds its table to VISITS
(the recount functions and its triggers); tests/services/test_coverage_totals.py fails until it does.

Revision ID: 0046cover
Revises: 0045totals
Create Date: 2026-12-05 03:00:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0046cover'
down_revision = '0045totals'
branch_labels = None
depends_on = None

# The tables whose rows are visits of a unit (a `unit_id` column), and the column holding when the visit was.
VISITS = {'inspection': 'inspected_at', 'patrol': 'patrolled_at'}
OPS = ('insert', 'update', 'delete')
TRIGGERS = {f'{table}_grid_total_{op_}': table for table in ('unit', *VISITS) for op_ in OPS}

# --- PostgreSQL -----------------------------------------------------------------------------------------------

PG_MONTH = """
CREATE OR REPLACE FUNCTION coverage_month(at timestamptz) RETURNS varchar
LANGUAGE sql STABLE AS $$ SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') $$
"""

# Each recount takes its key's row first (inserted or locked), then counts: under READ COMMITTED each statement
# of a volatile function sees what was committed before it began, so the count made while holding the row
# includes every other transaction that recounted the same key before us; the last to commit counted them all.
PG_RECOUNT = """
CREATE OR REPLACE FUNCTION {name}(g integer, m varchar) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := (m || '-01')::timestamp AT TIME ZONE 'Asia/Shanghai';
    month_end timestamptz := ((m || '-01')::timestamp + interval '1 month') AT TIME ZONE 'Asia/Shanghai';
BEGIN
    INSERT INTO {table} (grid_id, month) VALUES (g, m) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM {table} t WHERE t.grid_id = g AND t.month = m FOR UPDATE;
    UPDATE {table} t SET units = (
        SELECT count(*) FROM unit u WHERE u.grid_id = g AND {condition})
    WHERE t.grid_id = g AND t.month = m;
END $$
"""


def _visited(unit: str, start: str, end: str) -> str:
    """SQL: the unit has a visit of some procedure from `start` (included) to `end` (excluded). One EXISTS over
    the procedures' tables: PostgreSQL then probes each unit's own visits (the unit_id, time indexes below) and
    stops at the first, where separate EXISTS were hashed over every visit of the month, in each recount."""
    return "EXISTS (" + " UNION ALL ".join(
        f"SELECT 1 FROM {table} v WHERE v.unit_id = {unit} AND v.{at} >= {start} AND v.{at} < {end}"
        for table, at in VISITS.items()) + ")"


def _visit_months(unit: str, month: str) -> str:
    """SQL: the months (`month` applied to the visit's time) in which the unit has a visit."""
    return " UNION ".join(f"SELECT {month.format(at=at)} AS month FROM {table} WHERE unit_id = {unit}"
                          for table, at in VISITS.items())


PG_RECOUNTS = [
    PG_RECOUNT.format(name="grid_unit_recount", table="grid_unit_total",
                      condition="u.created_at >= month_start AND u.created_at < month_end"),
    PG_RECOUNT.format(name="grid_visit_recount", table="grid_visit_total",
                      condition=f"u.created_at < month_end AND {_visited('u.id', 'month_start', 'month_end')}"),
]

# A unit entered, moved, re-dated or deleted: its own month in the old and the new grid, then every month in which
# it has a visit, in the old and the new grid. Keys are taken in (grid, month) order, so that two units moved
# past each other at once take their rows in the same order (no deadlock between them).
PG_ON_UNIT = f"""
CREATE OR REPLACE FUNCTION grid_totals_of_unit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    uid integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    k record;
BEGIN
    FOR k IN SELECT DISTINCT c.grid_id, c.month
             FROM (VALUES (OLD.grid_id, coverage_month(OLD.created_at)),
                          (NEW.grid_id, coverage_month(NEW.created_at))) AS c(grid_id, month)
             WHERE c.grid_id IS NOT NULL ORDER BY 1, 2 LOOP
        PERFORM grid_unit_recount(k.grid_id, k.month);
    END LOOP;
    FOR k IN SELECT DISTINCT g.grid_id, v.month FROM (VALUES (OLD.grid_id), (NEW.grid_id)) AS g(grid_id),
                 ({_visit_months('uid', 'coverage_month({at})')}) AS v
             WHERE g.grid_id IS NOT NULL ORDER BY 1, 2 LOOP
        PERFORM grid_visit_recount(k.grid_id, k.month);
    END LOOP;
    RETURN NULL;
END $$
"""

# A visit recorded, changed or deleted: the month of the visit in the grid its unit lies in. The unit's row is
# taken first (FOR SHARE): a move of the unit that has not committed is waited for (and then its new grid read),
# and the unit cannot move until this transaction commits, so the move's trigger, which recounts the months the
# unit has visits in, finds this visit. Without it a visit in a month new to the unit, recorded while the unit
# moved, stayed counted in the old grid.
PG_ON_VISIT = """
CREATE OR REPLACE FUNCTION grid_visit_total_of_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    PERFORM 1 FROM unit u WHERE u.id IN (OLD.unit_id, NEW.unit_id) ORDER BY u.id FOR SHARE;
    FOR k IN SELECT DISTINCT u.grid_id, v.month
             FROM (VALUES (OLD.unit_id, coverage_month(OLD.{at})), (NEW.unit_id, coverage_month(NEW.{at})))
                 AS v(unit_id, month) JOIN unit u ON u.id = v.unit_id
             ORDER BY 1, 2 LOOP
        PERFORM grid_visit_recount(k.grid_id, k.month);
    END LOOP;
    RETURN NULL;
END $$
"""

UNIT_CHANGED = "OLD.grid_id {ne} NEW.grid_id OR OLD.created_at {ne} NEW.created_at"
VISIT_CHANGED = "OLD.unit_id {ne} NEW.unit_id OR OLD.{at} {ne} NEW.{at}"


def _pg_triggers() -> list[str]:
    statements = []
    for table, function, columns, changed in (
            ('unit', 'grid_totals_of_unit', 'grid_id, created_at', UNIT_CHANGED),
            *((table, f'grid_visit_total_of_{table}', f'unit_id, {at}', VISIT_CHANGED.replace('{at}', at))
              for table, at in VISITS.items())):
        statements += [
            f"CREATE TRIGGER {table}_grid_total_insert AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_grid_total_update AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW WHEN ({changed.format(ne='IS DISTINCT FROM')}) EXECUTE FUNCTION {function}()",
            f"CREATE TRIGGER {table}_grid_total_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    return statements


PG_FUNCTIONS = ("grid_totals_of_unit()", *(f"grid_visit_total_of_{table}()" for table in VISITS),
                "grid_unit_recount(integer, varchar)", "grid_visit_recount(integer, varchar)",
                "coverage_month(timestamptz)")

# --- SQLite ---------------------------------------------------------------------------------------------------

# SQLite stores AwareDateTime as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff': the month is taken from the whole seconds
# (strftime rounds .9995 s up, which could move a moment into the next month), the bounds compare as text.
# One writer at a time: the count is exact without locks.
SQLITE_MONTH = "strftime('%Y-%m', substr({at}, 1, 19), '+8 hours')"
SQLITE_RECOUNT = """
INSERT INTO {table} (grid_id, month, units)
SELECT k.grid_id, k.month, (SELECT count(*) FROM unit u WHERE u.grid_id = k.grid_id AND {condition})
FROM (SELECT g AS grid_id, m AS month, datetime(m || '-01', '-8 hours') AS month_start,
             datetime(m || '-01', '+1 month', '-8 hours') AS month_end
      FROM ({keys})) AS k
WHERE k.grid_id IS NOT NULL
ON CONFLICT (grid_id, month) DO UPDATE SET units = excluded.units;
"""


def _sqlite_unit_recount(row: str) -> str:
    return SQLITE_RECOUNT.format(
        table="grid_unit_total", condition="u.created_at >= k.month_start AND u.created_at < k.month_end",
        keys=f"SELECT {row}.grid_id AS g, {SQLITE_MONTH.format(at=f'{row}.created_at')} AS m")


def _sqlite_visit_recount(keys: str) -> str:
    return SQLITE_RECOUNT.format(
        table="grid_visit_total",
        condition=f"u.created_at < k.month_end AND {_visited('u.id', 'k.month_start', 'k.month_end')}", keys=keys)


def _sqlite_unit_visits(grids: str, unit: str) -> str:
    """The visit recount of the unit's grids (`grids`: a SELECT of g) for every month it has a visit in."""
    return _sqlite_visit_recount(f"SELECT DISTINCT grids.g, v.month AS m FROM ({grids}) AS grids, "
                                 f"({_visit_months(unit, SQLITE_MONTH)}) AS v")


def _sqlite_visit(row: str, at: str) -> str:
    """The visit recount of the month of the visit `row` (OLD or NEW) in its unit's grid."""
    return _sqlite_visit_recount(f"SELECT u.grid_id AS g, {SQLITE_MONTH.format(at=f'{row}.{at}')} AS m "
                                 f"FROM unit u WHERE u.id = {row}.unit_id")


def _sqlite_triggers() -> list[str]:
    triggers = [
        "CREATE TRIGGER unit_grid_total_insert AFTER INSERT ON unit BEGIN "
        f"{_sqlite_unit_recount('NEW')} {_sqlite_unit_visits('SELECT NEW.grid_id AS g', 'NEW.id')} END",
        f"CREATE TRIGGER unit_grid_total_update AFTER UPDATE OF grid_id, created_at ON unit "
        f"WHEN {UNIT_CHANGED.format(ne='IS NOT')} BEGIN {_sqlite_unit_recount('OLD')} {_sqlite_unit_recount('NEW')} "
        f"{_sqlite_unit_visits('SELECT OLD.grid_id AS g UNION SELECT NEW.grid_id', 'NEW.id')} END",
        "CREATE TRIGGER unit_grid_total_delete AFTER DELETE ON unit BEGIN "
        f"{_sqlite_unit_recount('OLD')} {_sqlite_unit_visits('SELECT OLD.grid_id AS g', 'OLD.id')} END",
    ]
    for table, at in VISITS.items():
        triggers += [
            f"CREATE TRIGGER {table}_grid_total_insert AFTER INSERT ON {table} BEGIN {_sqlite_visit('NEW', at)} END",
            f"CREATE TRIGGER {table}_grid_total_update AFTER UPDATE OF unit_id, {at} ON {table} "
            f"WHEN {VISIT_CHANGED.format(ne='IS NOT', at=at)} "
            f"BEGIN {_sqlite_visit('OLD', at)} {_sqlite_visit('NEW', at)} END",
            f"CREATE TRIGGER {table}_grid_total_delete AFTER DELETE ON {table} BEGIN {_sqlite_visit('OLD', at)} END",
        ]
    return triggers


# --- backfill -------------------------------------------------------------------------------------------------

def _backfill(month: str) -> list[str]:
    """Both totals of an existing database, grouped in one pass each. A unit counts as visited in a month when it
    was entered by that month's end, i.e. in that month or an earlier one."""
    visits = " UNION ".join(f"SELECT unit_id, {month.format(at=at)} AS month FROM {table}"
                            for table, at in VISITS.items())
    return [
        f"INSERT INTO grid_unit_total (grid_id, month, units) "
        f"SELECT grid_id, {month.format(at='created_at')}, count(*) FROM unit GROUP BY 1, 2",
        f"INSERT INTO grid_visit_total (grid_id, month, units) "
        f"SELECT u.grid_id, v.month, count(*) FROM ({visits}) AS v JOIN unit u ON u.id = v.unit_id "
        f"WHERE {month.format(at='u.created_at')} <= v.month GROUP BY 1, 2",
    ]


def _total_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('units', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['grid_node.id'], name=op.f(f'fk_{name}_grid_id_grid_node'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('grid_id', 'month', name=op.f(f'pk_{name}')),
    )


def upgrade():
    _total_table('grid_unit_total')
    _total_table('grid_visit_total')
    # the overview reads one month of every grid, and the rows pile up month by month
    op.create_index('ix_grid_visit_total_month', 'grid_visit_total', ['month'], unique=False)
    # The recounts find a grid's units of a month (and those entered by its end) from the index alone, and a
    # unit's visits of a month from one index range (these replace the visits' unit_id indexes). Plain CREATE
    # INDEX: a batch_alter_table would rebuild the table on SQLite, without the triggers.
    op.create_index('ix_unit_grid_created', 'unit', ['grid_id', 'created_at'], unique=False)
    for table, at in VISITS.items():
        op.create_index(f'ix_{table}_unit_{at}', table, ['unit_id', at], unique=False)
        op.drop_index(f'ix_{table}_unit_id', table_name=table)
    if op.get_bind().dialect.name == 'postgresql':
        for function in (PG_MONTH, *PG_RECOUNTS, PG_ON_UNIT,
                         *(PG_ON_VISIT.format(table=table, at=at) for table, at in VISITS.items())):
            op.execute(function)
        statements = _pg_triggers()
        month = "to_char({at} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    else:
        statements = _sqlite_triggers()
        month = SQLITE_MONTH
    for statement in _backfill(month):
        op.execute(statement)
    for statement in statements:
        op.execute(statement)


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name, table in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index('ix_unit_grid_created', table_name='unit')
    for table, at in VISITS.items():
        op.create_index(f'ix_{table}_unit_id', table, ['unit_id'], unique=False)
        op.drop_index(f'ix_{table}_unit_{at}', table_name=table)
    op.drop_table('grid_visit_total')
    op.drop_table('grid_unit_total')
