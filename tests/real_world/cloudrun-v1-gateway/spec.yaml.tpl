swagger: "2.0"
info:
  title: ${api_id}
  version: "1.0.0"
schemes:
  - https
produces:
  - application/json
x-google-backend:
  address: ${backend}
securityDefinitions:
  api_key:
    type: "apiKey"
    name: "key"
    in: "query"
security:
  - api_key: []
paths:
  /orders:
    get:
      summary: List orders
      operationId: listOrders
      responses:
        "200":
          description: OK
