DROP TABLE integration_dead_letters;
DROP TABLE integration_webhooks;
DROP TABLE integration_events;
