-- Unfinished jobs per tenant with a quota on them, kept by triggers in the transaction that
-- changes a job, so that a submit checks its quota with one lookup (counting the tenant's jobs
-- cost time in proportion to its queue). A tenant has a row only while a key with a
-- max_queued quota names it; the triggers' updates of other tenants touch nothing.
CREATE TABLE tenant_open (
    tenant INTEGER PRIMARY KEY,
    open INTEGER NOT NULL
);
INSERT INTO tenant_open (tenant, open)
    SELECT k.id, (SELECT count(*) FROM jobs j
                  WHERE j.tenant = k.id AND j.state IN ('queued', 'running'))
    FROM api_keys k WHERE k.max_queued IS NOT NULL;
CREATE TRIGGER jobs_open_on_insert AFTER INSERT ON jobs
    WHEN NEW.state IN ('queued', 'running')
BEGIN
    UPDATE tenant_open SET open = open + 1 WHERE tenant = NEW.tenant;
END;
CREATE TRIGGER jobs_open_on_finish AFTER UPDATE OF state ON jobs
    WHEN OLD.state IN ('queued', 'running') AND NEW.state IN ('done', 'failed')
BEGIN
    UPDATE tenant_open SET open = open - 1 WHERE tenant = NEW.tenant;
END;
