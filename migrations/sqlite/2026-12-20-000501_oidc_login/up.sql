-- Logging in through an OpenID Connect provider (SITHS eID, Freja eID; issue 12).
-- How the session's user proved who they are: 'password', 'oidc:<provider id>', 'client_cert'
-- (NULL: an anonymous session, or one from before this column, which was a password login).
ALTER TABLE sessions ADD COLUMN login_method TEXT;
-- A login under way at a provider (state, nonce, PKCE verifier), sealed with the secret key;
-- on the anonymous session that started it, cleared when the provider sends the user back.
ALTER TABLE sessions ADD COLUMN oidc_pending TEXT;
-- The provider's ID token, sealed with the secret key: the hint for logging out there too.
ALTER TABLE sessions ADD COLUMN id_token TEXT;
