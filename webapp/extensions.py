"""Flask extensions, created unbound; create_app binds them."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import ColumnElement, MetaData, event, update
from sqlalchemy.engine import Engine

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: readers do not block the writer (WAL), and foreign keys are enforced as on PostgreSQL."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def take_turns(session, model, row_id: int, *still: ColumnElement[bool]) -> bool:  # noqa: ANN001
    """Hold a row until the transaction ends, so that two requests reading it and then writing take turns:
    a no-op UPDATE locks the row on PostgreSQL and takes the database's write lock on SQLite (where FOR UPDATE
    does nothing and the driver begins the transaction only at the first write, so a read before it would not
    see what another request commits meanwhile). False when the row is gone or no longer meets `still`."""
    held = session.execute(update(model).where(model.id == row_id, *still).values(id=model.id)
                           .execution_options(synchronize_session=False))
    return held.rowcount == 1
