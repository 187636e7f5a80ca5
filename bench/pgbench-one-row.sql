-- The floor the intake target is measured against: one ticket row per transaction, nothing
-- else (no events, no key, no lookup), committed durably.
\set n random(1, 1000000000000)
INSERT INTO bench_tickets VALUES (:client_id || '-' || :n, 'zhongxing', 'demo', 'TC' || :client_id || '-' || :n, 'estate-00000000-0000-0000-0000-000000000001', '阳光花园', 'repair', 'hotline', '负载测试 电梯故障，老人上下楼困难', 'assigned', 0, 'property_company', 'unit-00000000-0000-0000-0000-000000000001', '恒安物业服务有限公司', 'person-00000000-0000-0000-0000-000000000001', '钱经理', 1800000000000, 1800600000000, '', '', '', '13800000000', FALSE, 'loadgen', 1800000000000, 1800000000000, NULL, NULL, NULL, NULL, NULL, FALSE, 1);
