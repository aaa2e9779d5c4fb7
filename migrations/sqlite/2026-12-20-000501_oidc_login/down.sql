ALTER TABLE sessions DROP COLUMN id_token;
ALTER TABLE sessions DROP COLUMN oidc_pending;
ALTER TABLE sessions DROP COLUMN login_method;
