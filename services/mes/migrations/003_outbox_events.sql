-- Outbox rows are domain events named by their type now ({"type": "order.changed", orderId, customerId}).
-- Rows written before carry the same fields without a type: name them, so the relay still delivers them.
UPDATE outbox SET payload = jsonb_build_object('type', 'order.changed') || payload WHERE NOT payload ? 'type';
