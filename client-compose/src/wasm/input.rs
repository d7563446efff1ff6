//! Reading what JavaScript hands the compose module: drafts, raw messages with
//! their envelope, options. Unknown keys are refused, so a typo never silently
//! drops a recipient.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::message::{Attachment, Draft, Mailbox};

/// A JavaScript object and what to call it in errors.
pub(super) struct Fields<'a> {
    object: &'a JsValue,
    what: &'static str,
}

/// An `INVALID_ARGUMENT` message.
pub(super) type Invalid = String;

impl<'a> Fields<'a> {
    /// `object` must be a plain object whose keys are all in `known`.
    pub(super) fn new(object: &'a JsValue, what: &'static str, known: &[&str]) -> Result<Self, Invalid> {
        if !object.is_object() || Array::is_array(object) {
            return Err(format!("{what} must be an object"));
        }
        for key in Object::keys(object.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(format!("{what}: unknown field `{key}` (known: {})", known.join(", ")));
            }
        }
        Ok(Self { object, what })
    }

    /// The field, or `None` when it is missing, `undefined` or `null`.
    pub(super) fn get(&self, key: &str) -> Option<JsValue> {
        Reflect::get(self.object, &JsValue::from_str(key))
            .ok()
            .filter(|value| !value.is_undefined() && !value.is_null())
    }

    fn wrong(&self, key: &str, expected: &str) -> Invalid {
        format!("{}: `{key}` must be {expected}", self.what)
    }

    pub(super) fn text(&self, key: &str) -> Result<Option<String>, Invalid> {
        self.get(key)
            .map(|value| value.as_string().ok_or_else(|| self.wrong(key, "a string")))
            .transpose()
    }

    pub(super) fn required_text(&self, key: &str) -> Result<String, Invalid> {
        self.text(key)?.ok_or_else(|| self.wrong(key, "given"))
    }

    pub(super) fn bytes(&self, key: &str) -> Result<Option<Vec<u8>>, Invalid> {
        self.get(key)
            .map(|value| {
                value
                    .dyn_into::<Uint8Array>()
                    .map(|array| array.to_vec())
                    .map_err(|_| self.wrong(key, "a Uint8Array"))
            })
            .transpose()
    }

    pub(super) fn list(&self, key: &str) -> Result<Vec<JsValue>, Invalid> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(value) if Array::is_array(&value) => Ok(Array::from(&value).to_vec()),
            Some(_) => Err(self.wrong(key, "an array")),
        }
    }

    pub(super) fn texts(&self, key: &str) -> Result<Vec<String>, Invalid> {
        self.list(key)?
            .into_iter()
            .map(|item| item.as_string().ok_or_else(|| self.wrong(key, "an array of strings")))
            .collect()
    }
}

/// `{ name?, address }` or a bare address string.
fn mailbox(value: &JsValue) -> Result<Mailbox, Invalid> {
    if let Some(address) = value.as_string() {
        return Ok(Mailbox { name: None, address });
    }
    let fields = Fields::new(value, "an address", &["name", "address"])?;
    Ok(Mailbox {
        name: fields.text("name")?,
        address: fields.required_text("address")?,
    })
}

fn mailboxes(fields: &Fields<'_>, key: &str) -> Result<Vec<Mailbox>, Invalid> {
    fields.list(key)?.iter().map(mailbox).collect()
}

/// The fields of a draft object.
pub(super) const DRAFT_FIELDS: [&str; 14] = [
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "text",
    "html",
    "attachments",
    "inReplyTo",
    "references",
    "headers",
    "messageId",
    "date",
];

/// A draft object (see `Draft` in the `.d.ts`).
pub(super) fn draft(value: &JsValue) -> Result<Draft, Invalid> {
    let fields = Fields::new(value, "the draft", &DRAFT_FIELDS)?;
    let from = fields.get("from").ok_or("the draft needs `from`")?;
    let mut attachments = Vec::new();
    for item in fields.list("attachments")? {
        let file = Fields::new(
            &item,
            "an attachment",
            &["filename", "contentType", "data", "contentId"],
        )?;
        attachments.push(Attachment {
            filename: file.required_text("filename")?,
            content_type: file
                .text("contentType")?
                .unwrap_or_else(|| "application/octet-stream".into()),
            data: file.bytes("data")?.ok_or("an attachment needs `data`")?,
            content_id: file.text("contentId")?,
        });
    }
    let mut headers = Vec::new();
    if let Some(object) = fields.get("headers") {
        for entry in Object::entries(object.unchecked_ref::<Object>()).iter() {
            let pair = Array::from(&entry);
            let value = pair
                .get(1)
                .as_string()
                .ok_or("the draft: header values must be strings")?;
            headers.push((pair.get(0).as_string().unwrap_or_default(), value));
        }
    }
    Ok(Draft {
        from: mailbox(&from)?,
        to: mailboxes(&fields, "to")?,
        cc: mailboxes(&fields, "cc")?,
        bcc: mailboxes(&fields, "bcc")?,
        reply_to: mailboxes(&fields, "replyTo")?,
        subject: fields.text("subject")?.unwrap_or_default(),
        text: fields.text("text")?.unwrap_or_default(),
        html: fields.text("html")?,
        attachments,
        in_reply_to: fields.text("inReplyTo")?,
        references: fields.texts("references")?,
        headers,
        message_id: fields.text("messageId")?,
    })
}
