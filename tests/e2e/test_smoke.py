from tests.factories import product_payload


def test_sme_creates_and_submits_product_brand_admin_approves(client, factory):
    world = factory.world()
    created = client.post(
        "/api/v1/products", json=product_payload(trademark_id=world.trademark_id), headers=world.headers["sme_a"]
    )
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "draft"
    assert body["skus"][0]["price"] == {"amount": "399.00", "currency": "CNY"}
    assert body["skus"][0]["stock"] == {"on_hand": 10, "reserved": 0, "allocated": 0, "available": 10}
    product_id = body["id"]
    submitted = client.post(f"/api/v1/products/{product_id}/submit", headers=world.headers["sme_a"])
    assert submitted.status_code == 200, submitted.json
    approved = client.post(f"/api/v1/products/{product_id}/approve", headers=world.headers["brand_admin"])
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["trademark_usable"] is True
