//! Small key/value facts about the installation (for instance: this is a demo database).

use super::DbConnection;
use super::schema::app_settings;
use diesel::prelude::*;

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    app_settings::table
        .find(key)
        .select(app_settings::value)
        .first(conn)
        .optional()
}

pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> QueryResult<()> {
    diesel::delete(app_settings::table.find(key)).execute(conn)?;
    diesel::insert_into(app_settings::table)
        .values((app_settings::key.eq(key), app_settings::value.eq(value)))
        .execute(conn)
        .map(|_| ())
}
