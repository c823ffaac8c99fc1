//! Info objects: ordered (key, value) string pairs.

use super::handle::{Kind, Table};

/// An info object: keys in insertion order.
pub type InfoObj = Vec<(String, String)>;

/// The info table.
pub struct Infos {
    /// Live info objects.
    pub table: Table<InfoObj>,
}

impl Default for Infos {
    fn default() -> Infos {
        Infos {
            table: Table::new(Kind::Info),
        }
    }
}
