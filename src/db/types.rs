//! The case's typed fields stored as text on both backends: status, kind, channel, requester.
//! A value the code does not know is a deserialization error, never a silent default.

use crate::domain::case::{Channel, Kind, RequestedBy, Status};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use std::str::FromStr;

macro_rules! text_enum {
    ($($t:ty),*) => {$(
        impl<DB> FromSql<Text, DB> for $t
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                <$t>::from_str(&s).map_err(Into::into)
            }
        }

        impl<DB> ToSql<Text, DB> for $t
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.code().to_sql(out)
            }
        }
    )*};
}

text_enum!(Status, Kind, Channel, RequestedBy);
