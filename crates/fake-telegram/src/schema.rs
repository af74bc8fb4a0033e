//! The official Bot API method list (`telegram/botapi.json`, MIT, see `telegram/LICENSE-botapi.json.txt`)
//! and the checks every call goes through: known method, required fields, basic types.

use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

const BOTAPI_JSON: &str = include_str!("../telegram/botapi.json");

/// One parameter of a method or field of a type.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub types: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A method or type: its fields (none for e.g. `getMe`), and for unions the subtypes.
#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub subtypes: Vec<String>,
    #[serde(default)]
    pub returns: Vec<String>,
}

/// The parsed `botapi.json`.
#[derive(Debug, Deserialize)]
pub struct Schema {
    pub version: String,
    pub methods: HashMap<String, Spec>,
    pub types: HashMap<String, Spec>,
}

/// The schema, parsed once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(BOTAPI_JSON).expect("telegram/botapi.json parses"))
}

/// Why a call was refused before it reached the method's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownMethod,
    MissingField(String),
    WrongType { field: String, expected: String },
}

impl Refusal {
    pub fn description(&self) -> String {
        match self {
            Refusal::UnknownMethod => "Not Found: method not found".to_owned(),
            Refusal::MissingField(f) => format!("Bad Request: {f} is required"),
            Refusal::WrongType { field, expected } => format!("Bad Request: {field} must be of type {expected}"),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Refusal::UnknownMethod => 404,
            _ => 400,
        }
    }
}

/// The outcome of a successful check: the canonical method name and any parameters the
/// official list does not know (Telegram ignores those silently, which usually hides a bug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub method: String,
    pub unknown_params: Vec<String>,
}

impl Schema {
    /// Finds a method; Telegram matches method names case-insensitively.
    pub fn method(&self, name: &str) -> Option<&Spec> {
        self.methods
            .get(name)
            .or_else(|| self.methods.values().find(|m| m.name.eq_ignore_ascii_case(name)))
    }

    /// Checks `params` (already normalised, see [`normalise_text_params`]) against the method.
    pub fn check(&self, method: &str, params: &Map<String, Value>, files: &[String]) -> Result<Checked, Refusal> {
        let spec = self.method(method).ok_or(Refusal::UnknownMethod)?;
        let mut unknown = Vec::new();
        for field in &spec.fields {
            let uploaded = files.iter().any(|f| f == &field.name);
            match params.get(&field.name) {
                None | Some(Value::Null) if uploaded => {}
                None | Some(Value::Null) if field.required => return Err(Refusal::MissingField(field.name.clone())),
                None | Some(Value::Null) => {}
                Some(v) => {
                    if !self.matches_any(&field.types, v, &field.name, &mut unknown, 0) {
                        return Err(Refusal::WrongType {
                            field: field.name.clone(),
                            expected: field.types.join(" or "),
                        });
                    }
                }
            }
        }
        for key in params.keys() {
            if !spec.fields.iter().any(|f| &f.name == key) {
                unknown.push(key.clone());
            }
        }
        Ok(Checked {
            method: spec.name.clone(),
            unknown_params: unknown,
        })
    }

    fn matches_any(&self, types: &[String], v: &Value, path: &str, unknown: &mut Vec<String>, depth: u32) -> bool {
        types.iter().any(|t| self.matches(t, v, path, unknown, depth))
    }

    fn matches(&self, ty: &str, v: &Value, path: &str, unknown: &mut Vec<String>, depth: u32) -> bool {
        if let Some(inner) = ty.strip_prefix("Array of ") {
            let Value::Array(items) = v else { return false };
            return items
                .iter()
                .enumerate()
                .all(|(i, item)| self.matches(inner, item, &format!("{path}[{i}]"), unknown, depth + 1));
        }
        match ty {
            "Integer" => v.is_i64() || v.is_u64(),
            "Float" => v.is_number(),
            "String" => v.is_string(),
            "Boolean" | "True" => v.is_boolean(),
            "InputFile" => v.is_string(),
            _ => self.matches_type(ty, v, path, unknown, depth),
        }
    }

    /// Checks a JSON object against a named type: required fields present, field types right,
    /// unknown keys reported. Unions match when any subtype matches.
    fn matches_type(&self, ty: &str, v: &Value, path: &str, unknown: &mut Vec<String>, depth: u32) -> bool {
        let Some(spec) = self.types.get(ty) else { return true };
        if depth > 8 {
            return true;
        }
        if !spec.subtypes.is_empty() {
            // The best subtype is the one that matches with the fewest unknown keys.
            let mut best: Option<Vec<String>> = None;
            for sub in &spec.subtypes {
                let mut u = Vec::new();
                if !self.matches_type(sub, v, path, &mut u, depth + 1) {
                    continue;
                }
                let better = match &best {
                    Some(b) => u.len() < b.len(),
                    None => true,
                };
                if better {
                    best = Some(u);
                }
            }
            return match best {
                Some(u) => {
                    unknown.extend(u);
                    true
                }
                None => false,
            };
        }
        let Value::Object(obj) = v else { return false };
        for field in &spec.fields {
            match obj.get(&field.name) {
                None | Some(Value::Null) if field.required => return false,
                None | Some(Value::Null) => {}
                Some(fv) => {
                    if !self.matches_any(&field.types, fv, &format!("{path}.{}", field.name), unknown, depth + 1) {
                        return false;
                    }
                }
            }
        }
        if !spec.fields.is_empty() {
            for key in obj.keys() {
                if !spec.fields.iter().any(|f| &f.name == key) {
                    unknown.push(format!("{path}.{key}"));
                }
            }
        }
        // A union member such as `BotCommandScopeChat` says which `type` it is in its name only;
        // check the discriminator when there is one.
        if let (Some(Value::String(t)), Some(expected)) = (obj.get("type"), discriminator(ty)) {
            return *t == expected;
        }
        true
    }
}

/// `BotCommandScopeAllPrivateChats` → `all_private_chats`, for the union types whose members carry a
/// `type` field naming them.
fn discriminator(ty: &str) -> Option<String> {
    const UNIONS: [&str; 9] = [
        "BotCommandScope",
        "InputMedia",
        "InputPaidMedia",
        "MenuButton",
        "ReactionType",
        "InputStoryContent",
        "InputProfilePhoto",
        "PassportElementError",
        "BackgroundType",
    ];
    let base = UNIONS.iter().find(|u| ty.starts_with(**u) && ty.len() > u.len())?;
    let rest = &ty[base.len()..];
    let mut out = String::new();
    for (i, c) in rest.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Parameters sent as `multipart/form-data`, `x-www-form-urlencoded` or in the query string arrive
/// as text. Turn each into the JSON value its declared type wants (numbers, booleans, JSON-serialised
/// objects and arrays), so that the checks and the behaviour see one shape whatever the encoding.
pub fn normalise_text_params(method: &str, raw: Vec<(String, String)>) -> Map<String, Value> {
    let spec = schema().method(method);
    let mut out = Map::new();
    for (key, text) in raw {
        let types: &[String] = spec
            .and_then(|s| s.fields.iter().find(|f| f.name == key))
            .map(|f| f.types.as_slice())
            .unwrap_or(&[]);
        out.insert(key, text_to_value(types, text));
    }
    out
}

fn text_to_value(types: &[String], text: String) -> Value {
    for ty in types {
        match ty.as_str() {
            "Integer" => {
                if let Ok(n) = text.trim().parse::<i64>() {
                    return Value::from(n);
                }
            }
            "Float" => {
                if let Some(n) = text.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    return Value::Number(n);
                }
            }
            "Boolean" | "True" => match text.trim() {
                "true" | "True" | "1" => return Value::Bool(true),
                "false" | "False" | "0" => return Value::Bool(false),
                _ => {}
            },
            "String" | "InputFile" => {}
            _ => {
                if let Ok(v @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(&text) {
                    return v;
                }
            }
        }
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn schema_loads_the_official_list() {
        let s = schema();
        assert!(s.methods.len() > 100);
        assert!(s.method("sendMessage").is_some());
        assert_eq!(s.method("sendmessage").map(|m| m.name.as_str()), Some("sendMessage"));
    }

    #[test]
    fn required_fields_and_types_are_checked() {
        let s = schema();
        assert_eq!(
            s.check("sendMessage", &obj(json!({"chat_id": 1})), &[]),
            Err(Refusal::MissingField("text".into()))
        );
        assert!(s.check("sendMessage", &obj(json!({"chat_id": "1", "text": "x"})), &[]).is_ok());
        assert!(matches!(
            s.check("sendMessage", &obj(json!({"chat_id": 1, "text": 5})), &[]),
            Err(Refusal::WrongType { .. })
        ));
        assert_eq!(s.check("sendMessag", &obj(json!({})), &[]), Err(Refusal::UnknownMethod));
        let ok = s
            .check("sendMessage", &obj(json!({"chat_id": 1, "text": "x", "reply_to_msg": 3})), &[])
            .unwrap();
        assert_eq!(ok.unknown_params, vec!["reply_to_msg".to_owned()]);
    }

    #[test]
    fn nested_objects_are_checked() {
        let s = schema();
        let good = json!({"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}});
        assert!(s.check("sendMessage", &obj(good), &[]).is_ok());
        let bad = json!({"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"callback_data": "b"}]]}});
        assert!(s.check("sendMessage", &obj(bad), &[]).is_err());
        let scope = json!({"commands": [{"command": "a", "description": "b"}], "scope": {"type": "chat", "chat_id": -5}});
        assert!(s.check("setMyCommands", &obj(scope), &[]).unwrap().unknown_params.is_empty());
    }

    #[test]
    fn text_params_are_typed() {
        let m = normalise_text_params(
            "sendPhoto",
            vec![
                ("chat_id".into(), "-100".into()),
                ("photo".into(), "attach://x".into()),
                ("reply_markup".into(), r#"{"inline_keyboard":[]}"#.into()),
                ("has_spoiler".into(), "true".into()),
            ],
        );
        assert_eq!(
            Value::Object(m),
            json!({"chat_id": -100, "photo": "attach://x", "reply_markup": {"inline_keyboard": []}, "has_spoiler": true})
        );
    }
}
