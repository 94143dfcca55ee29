from fastapi import FastAPI

app = FastAPI(title="orders")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders/{order_id}")
def order(order_id: int) -> dict[str, int]:
    return {"id": order_id}
