//! Outgoing mail: message building (askama templates, S/MIME), recipient certificates, and the
//! SMTP transport. Nothing here sends from a request: messages go through the outbox
//! (`db::outbox`) and the delivery worker (`service::outbox`).

pub mod cert;
pub mod message;
pub mod smime;
pub mod transport;
