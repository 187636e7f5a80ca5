-- One complaint intake, as dispatch writes it: the ticket, its submit and assign events and its
-- idempotency key, in one transaction.
\set n random(1, 1000000000000)
BEGIN;
INSERT INTO bench_tickets VALUES (:client_id || '-' || :n, 'zhongxing', 'demo', 'TC' || :client_id || '-' || :n, 'estate-00000000-0000-0000-0000-000000000001', '阳光花园', 'repair', 'hotline', '负载测试 电梯故障，老人上下楼困难', 'assigned', 0, 'property_company', 'unit-00000000-0000-0000-0000-000000000001', '恒安物业服务有限公司', 'person-00000000-0000-0000-0000-000000000001', '钱经理', 1800000000000, 1800600000000, '', '', '', '13800000000', FALSE, 'loadgen', 1800000000000, 1800000000000, NULL, NULL, NULL, NULL, NULL, FALSE, 1);
INSERT INTO bench_events VALUES (:client_id || '-' || :n || '-0', :client_id || '-' || :n, 'zhongxing', 'submit', NULL, 'received', 'loadgen', 1800000000000, '12345热线', 0);
INSERT INTO bench_events VALUES (:client_id || '-' || :n || '-1', :client_id || '-' || :n, 'zhongxing', 'assign', 'received', 'assigned', 'system', 1800000000000, '→ 恒安物业服务有限公司 (钱经理)', 0);
INSERT INTO bench_keys VALUES ('zhongxing/loadgen', :client_id || '-' || :n, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', :client_id || '-' || :n, 1800000000000);
COMMIT;
