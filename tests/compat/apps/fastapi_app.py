# FastAPI: path/query/body params with pydantic models, dependencies,
# OpenAPI schema, exception handlers, via TestClient.
from typing import Optional
from fastapi import FastAPI, Depends, HTTPException, Query, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel
app = FastAPI(title="demo", version="1.0")
class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []
db = {}
def token(x_token: str = Header(...)):
    if x_token != "ok":
        raise HTTPException(status_code=401, detail="bad token")
    return x_token
@app.post("/items/{item_id}", status_code=201)
def create(item_id: int, item: Item, t: str = Depends(token)):
    db[item_id] = item
    return {"id": item_id, **item.model_dump()}
@app.get("/items/")
def list_items(limit: int = Query(10, le=100), q: Optional[str] = None):
    return {"items": [i.name for i in db.values()][:limit], "q": q}
@app.get("/async")
async def a():
    return {"async": True}
c = TestClient(app)
print(c.post("/items/1", json={"name": "pen", "price": 1.5}, headers={"X-Token": "ok"}).json())
print(c.post("/items/2", json={"name": "pen"}, headers={"X-Token": "ok"}).status_code)
print(c.post("/items/3", json={"name": "p", "price": 1}, headers={"X-Token": "no"}).json())
print(c.get("/items/", params={"q": "x"}).json(), c.get("/items/?limit=1000").status_code)
print(c.get("/async").json())
spec = c.get("/openapi.json").json()
print(spec["info"], sorted(spec["paths"]), sorted(spec["components"]["schemas"]))
print(c.get("/docs").status_code, "swagger" in c.get("/docs").text)
