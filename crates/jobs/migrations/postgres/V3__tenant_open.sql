-- Unfinished jobs per tenant with a quota on them, kept by a trigger in the transaction that
-- changes a job, so that a submit checks its quota with one lookup (counting the tenant's jobs
-- cost time in proportion to its queue). A tenant has a row only while a key with a
-- max_queued quota names it; the trigger's updates of other tenants touch (and lock) nothing.
-- The row's lock also orders a tenant's concurrent submits: the second waits for the first to
-- commit, then sees its jobs.
CREATE TABLE tenant_open (
    tenant BIGINT PRIMARY KEY,
    open BIGINT NOT NULL
);
INSERT INTO tenant_open (tenant, open)
    SELECT k.id, (SELECT count(*) FROM jobs j
                  WHERE j.tenant = k.id AND j.state IN ('queued', 'running'))
    FROM api_keys k WHERE k.max_queued IS NOT NULL;
CREATE FUNCTION l2x_count_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state IN ('queued', 'running') THEN
            UPDATE tenant_open SET open = open + 1 WHERE tenant = NEW.tenant;
        END IF;
    ELSIF OLD.state IN ('queued', 'running') AND NEW.state IN ('done', 'failed') THEN
        UPDATE tenant_open SET open = open - 1 WHERE tenant = NEW.tenant;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_open AFTER INSERT OR UPDATE OF state ON jobs
    FOR EACH ROW EXECUTE FUNCTION l2x_count_open();
