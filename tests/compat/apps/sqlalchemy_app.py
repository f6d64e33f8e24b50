# SQLAlchemy 2: ORM models, relationships, sessions, Core select/insert,
# on SQLite in memory (the stdlib sqlite3 driver), with its C extensions.
from typing import List, Optional
from sqlalchemy import create_engine, String, ForeignKey, select, func, text, insert, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, Session, selectinload
class Base(DeclarativeBase):
    pass
class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    email: Mapped[Optional[str]]
    posts: Mapped[List["Post"]] = relationship(back_populates="author", cascade="all, delete-orphan")
class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author: Mapped[User] = relationship(back_populates="posts")
engine = create_engine("sqlite+pysqlite:///:memory:")
Base.metadata.create_all(engine)
with Session(engine) as s:
    s.add_all([User(name="ann", email="a@x", posts=[Post(title="p1"), Post(title="p2")]), User(name="bob")])
    s.commit()
    q = select(User.name, func.count(Post.id)).outerjoin(Post).group_by(User.id).order_by(User.name)
    print(s.execute(q).all())
    u = s.scalars(select(User).options(selectinload(User.posts)).where(User.name == "ann")).one()
    print(u.name, [p.title for p in u.posts])
    s.delete(u); s.commit()
    print(s.scalar(select(func.count()).select_from(Post)))
with engine.begin() as conn:
    conn.execute(insert(User), [{"name": "c%d" % i} for i in range(3)])
    print(conn.execute(text("select name from users order by id")).scalars().all())
print(str(select(User).where(User.name.like("a%")).compile(compile_kwargs={"literal_binds": True})).replace("\n", " "))
import sqlalchemy; print(sqlalchemy.__version__)
