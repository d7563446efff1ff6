//! Reading JavaScript arguments into Rust values, with errors that name the field.
//!
//! Written by hand rather than with serde: deserialization code (and the float
//! formatting its error messages pull in) is a tenth of the package otherwise.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::client::types::Since;
use crate::client::{ClientError, SearchQuery, SetFlagsMode, SortOrder, SummaryOptions};

type Result<T> = std::result::Result<T, ClientError>;

fn invalid(message: String) -> ClientError {
    ClientError::invalid_argument(message)
}

/// An options object: `undefined`/`null` read as empty; unknown keys are refused
/// (a typo must not silently fall back to a default).
pub(crate) struct Options {
    object: JsValue,
    what: &'static str,
}

impl Options {
    pub(crate) fn new(value: JsValue, what: &'static str, allowed: &[&str]) -> Result<Self> {
        if value.is_undefined() || value.is_null() {
            return Ok(Self {
                object: Object::new().into(),
                what,
            });
        }
        if !value.is_object() || Array::is_array(&value) {
            return Err(invalid(format!("{what} must be an object")));
        }
        for key in Object::keys(value.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "{what}: unknown option `{key}` (known: {})",
                    allowed.join(", ")
                )));
            }
        }
        Ok(Self { object: value, what })
    }

    fn get(&self, key: &str) -> Option<JsValue> {
        let value = Reflect::get(&self.object, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(value)
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<String>> {
        self.get(key)
            .map(|value| {
                value
                    .as_string()
                    .ok_or_else(|| invalid(format!("{}: `{key}` must be a string", self.what)))
            })
            .transpose()
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>> {
        self.get(key)
            .map(|value| {
                value
                    .as_bool()
                    .ok_or_else(|| invalid(format!("{}: `{key}` must be a boolean", self.what)))
            })
            .transpose()
    }

    pub(crate) fn number(&self, key: &str) -> Result<Option<u64>> {
        self.get(key)
            .map(|value| whole_number(&value, &format!("{}: `{key}`", self.what)))
            .transpose()
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>> {
        self.get(key)
            .map(|value| strings(value, &format!("{}: `{key}`", self.what)))
            .transpose()
    }

    pub(crate) fn value(&self, key: &str) -> Option<JsValue> {
        self.get(key)
    }
}

fn whole_number(value: &JsValue, what: &str) -> Result<u64> {
    match value.as_f64() {
        Some(number) if number >= 0.0 && number.fract() == 0.0 && number <= 9_007_199_254_740_991.0 => {
            Ok(number as u64)
        }
        _ => Err(invalid(format!("{what} must be a whole number"))),
    }
}

/// An array of UIDs.
pub(crate) fn uids(value: JsValue) -> Result<Vec<u32>> {
    let array: Array = value
        .dyn_into()
        .map_err(|_| invalid("uids must be an array of UIDs".into()))?;
    array
        .iter()
        .map(|item| {
            let number = whole_number(&item, "a UID")?;
            u32::try_from(number).map_err(|_| invalid(format!("{number} is not a UID")))
        })
        .collect()
}

/// An array of strings.
pub(crate) fn strings(value: JsValue, what: &str) -> Result<Vec<String>> {
    let array: Array = value
        .dyn_into()
        .map_err(|_| invalid(format!("{what} must be an array of strings")))?;
    array
        .iter()
        .map(|item| {
            item.as_string()
                .ok_or_else(|| invalid(format!("{what} must be an array of strings")))
        })
        .collect()
}

/// `"add" | "remove" | "replace"`.
pub(crate) fn flags_mode(value: JsValue) -> Result<SetFlagsMode> {
    match value.as_string().as_deref() {
        Some("add") => Ok(SetFlagsMode::Add),
        Some("remove") => Ok(SetFlagsMode::Remove),
        Some("replace") => Ok(SetFlagsMode::Replace),
        _ => Err(invalid("mode must be \"add\", \"remove\" or \"replace\"".into())),
    }
}

/// `{ sort, reverse }`.
pub(crate) fn sort_order(value: JsValue) -> Result<SortOrder> {
    let options = Options::new(value, "sort options", &["sort", "reverse"])?;
    Ok(SortOrder {
        sort: options.string("sort")?,
        reverse: options.boolean("reverse")?.unwrap_or(false),
    })
}

/// `{ uidValidity, highestModseq?, uids }`: what the page kept of a mailbox.
pub(crate) fn since(value: JsValue) -> Result<Since> {
    let options = Options::new(value, "since", &["uidValidity", "highestModseq", "uids"])?;
    let uid_validity = options
        .number("uidValidity")?
        .and_then(|number| u32::try_from(number).ok())
        .ok_or_else(|| invalid("since: `uidValidity` is required (a 32-bit whole number)".into()))?;
    Ok(Since {
        uid_validity,
        highest_modseq: options.number("highestModseq")?,
        uids: options.value("uids").map(uids).transpose()?.unwrap_or_default(),
    })
}

/// `{ preview }`, or nothing.
pub(crate) fn summary_options(value: JsValue) -> Result<SummaryOptions> {
    if value.is_undefined() || value.is_null() {
        return Ok(SummaryOptions::default());
    }
    let options = Options::new(value, "summary options", &["preview"])?;
    Ok(SummaryOptions {
        preview: options.boolean("preview")?.unwrap_or(false),
    })
}

const SEARCH_KEYS: [&str; 19] = [
    "text", "from", "to", "cc", "subject", "body", "since", "before", "on", "seen", "flagged", "answered", "draft",
    "deleted", "keyword", "larger", "smaller", "or", "not",
];

/// A search query object, recursively (`or`, `not`).
pub(crate) fn search_query(value: JsValue) -> Result<SearchQuery> {
    search_query_at(value, 0)
}

fn search_query_at(value: JsValue, depth: usize) -> Result<SearchQuery> {
    if depth > 32 {
        return Err(invalid("search query nested too deeply".into()));
    }
    let options = Options::new(value, "search query", &SEARCH_KEYS)?;
    let or = match options.value("or") {
        Some(list) => {
            let array: Array = list
                .dyn_into()
                .map_err(|_| invalid("search query: `or` must be an array".into()))?;
            Some(
                array
                    .iter()
                    .map(|item| search_query_at(item, depth + 1))
                    .collect::<Result<Vec<_>>>()?,
            )
        }
        None => None,
    };
    let not = options
        .value("not")
        .map(|item| search_query_at(item, depth + 1).map(Box::new))
        .transpose()?;
    Ok(SearchQuery {
        text: options.string("text")?,
        from: options.string("from")?,
        to: options.string("to")?,
        cc: options.string("cc")?,
        subject: options.string("subject")?,
        body: options.string("body")?,
        since: options.string("since")?,
        before: options.string("before")?,
        on: options.string("on")?,
        seen: options.boolean("seen")?,
        flagged: options.boolean("flagged")?,
        answered: options.boolean("answered")?,
        draft: options.boolean("draft")?,
        deleted: options.boolean("deleted")?,
        keyword: options.string("keyword")?,
        larger: options.number("larger")?,
        smaller: options.number("smaller")?,
        or,
        not,
    })
}
