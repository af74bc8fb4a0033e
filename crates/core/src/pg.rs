//! How the domain's value types are stored: each enum of `mc_domain::types` is a PostgreSQL
//! enum of the same snake_case words, and `Usd` is a `BIGINT` of micro-dollars.
//!
//! The domain crate knows nothing of sqlx (its rules have no I/O), so the mapping lives here,
//! below both the rows (`model`) and the SQL (`storage`): a value crosses the boundary as
//! [`Pg`]`(value)` — bound as a parameter, decoded from a row (`#[sqlx(try_from =
//! "Pg<TaskStatus>")]` on a row's field, `Pg<Option<…>>` for a nullable one).

use mc_domain::*;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgHasArrayType, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

/// A domain value as the database stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pg<T>(pub T);

/// A domain enum stored as a PostgreSQL enum type.
pub trait PgEnum: Copy + Sized + 'static {
    /// The PostgreSQL type (`CREATE TYPE … AS ENUM` in migrations/).
    const TYPE: &'static str;
    /// The PostgreSQL array type of it (`_` + the type).
    const ARRAY: &'static str;
    fn word(self) -> &'static str;
    fn from_word(word: &str) -> Option<Self>;
}

impl<T: PgEnum> Type<Postgres> for Pg<T> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name(T::TYPE)
    }
}

impl<T: PgEnum> PgHasArrayType for Pg<T> {
    fn array_type_info() -> PgTypeInfo {
        PgTypeInfo::with_name(T::ARRAY)
    }
}

impl<T: PgEnum> Encode<'_, Postgres> for Pg<T> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Postgres>>::encode_by_ref(&self.0.word(), buf)
    }
}

impl<'r, T: PgEnum> Decode<'r, Postgres> for Pg<T> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let word = <&str as Decode<Postgres>>::decode(value)?;
        T::from_word(word)
            .map(Pg)
            .ok_or_else(|| format!("'{word}' is not a value of {}", T::TYPE).into())
    }
}

impl<T> Type<Postgres> for Pg<Option<T>>
where
    Pg<T>: Type<Postgres>,
{
    fn type_info() -> PgTypeInfo {
        <Pg<T> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <Pg<T> as Type<Postgres>>::compatible(ty)
    }
}

impl<'r, T> Decode<'r, Postgres> for Pg<Option<T>>
where
    Pg<T>: Decode<'r, Postgres>,
{
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        use sqlx::ValueRef;
        if value.is_null() {
            return Ok(Pg(None));
        }
        Ok(Pg(Some(<Pg<T> as Decode<Postgres>>::decode(value)?.0)))
    }
}

impl<T: PgEnum> Type<Postgres> for Pg<Vec<T>> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name(T::ARRAY)
    }
}

impl<'r, T: PgEnum> Decode<'r, Postgres> for Pg<Vec<T>> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let words = <Vec<Pg<T>> as Decode<Postgres>>::decode(value)?;
        Ok(Pg(words.into_iter().map(|w| w.0).collect()))
    }
}

impl<T: PgEnum> Encode<'_, Postgres> for Pg<Vec<T>> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Pg(self.0.as_slice()).encode_by_ref(buf)
    }
}

impl<'q, X: Clone> Encode<'q, Postgres> for Pg<Option<X>>
where
    Pg<X>: Encode<'q, Postgres>,
{
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match &self.0 {
            Some(value) => Pg(value.clone()).encode_by_ref(buf),
            None => Ok(IsNull::Yes),
        }
    }
}

impl<T: PgEnum> Type<Postgres> for Pg<&[T]> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name(T::ARRAY)
    }
}

impl<T: PgEnum> Encode<'_, Postgres> for Pg<&[T]> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let words: Vec<Pg<T>> = self.0.iter().copied().map(Pg).collect();
        <Vec<Pg<T>> as Encode<Postgres>>::encode_by_ref(&words, buf)
    }
}

macro_rules! pg_enums {
    ($($name:ident = $pg:literal),+ $(,)?) => {$(
        impl PgEnum for $name {
            const TYPE: &'static str = $pg;
            const ARRAY: &'static str = concat!("_", $pg);
            fn word(self) -> &'static str {
                self.as_str()
            }
            fn from_word(word: &str) -> Option<Self> {
                word.parse().ok()
            }
        }

        impl From<Pg<$name>> for $name {
            fn from(value: Pg<$name>) -> Self {
                value.0
            }
        }

        impl From<Pg<Option<$name>>> for Option<$name> {
            fn from(value: Pg<Option<$name>>) -> Self {
                value.0
            }
        }

        impl From<Pg<Vec<$name>>> for Vec<$name> {
            fn from(value: Pg<Vec<$name>>) -> Self {
                value.0
            }
        }
    )+};
}

pg_enums!(
    AgentRole = "agent_role",
    AgentStatus = "agent_status",
    TaskType = "task_type",
    TaskStatus = "task_status",
    RiskLevel = "risk_level",
    ApprovalStatus = "approval_status",
    RunStatus = "run_status",
    AlertSeverity = "alert_severity",
    OperatorRole = "operator_role",
    ActorKind = "actor_kind",
    TokenRetirement = "token_retirement",
    ToolClient = "tool_client",
    ToolDecision = "tool_decision",
    GrantScope = "grant_scope",
    QuestionStatus = "question_status",
    CostSource = "cost_source",
);

impl Type<Postgres> for Pg<Usd> {
    fn type_info() -> PgTypeInfo {
        <i64 as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <i64 as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Pg<Usd> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Postgres>>::encode_by_ref(&self.0.micros(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Pg<Usd> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Pg(Usd::from_micros(<i64 as Decode<Postgres>>::decode(value)?)))
    }
}

impl From<Pg<Usd>> for Usd {
    fn from(value: Pg<Usd>) -> Self {
        value.0
    }
}

impl From<Pg<Option<Usd>>> for Option<Usd> {
    fn from(value: Pg<Option<Usd>>) -> Self {
        value.0
    }
}
