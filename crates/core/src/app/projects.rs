use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::model::Project;
use crate::storage;
use chrono::NaiveTime;
use chrono_tz::Tz;
use mc_domain::i18n::Msg;
use mc_domain::{Actor, ProjectDescription, ProjectName, ProjectSlug, Right};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct CreateProject {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// When a project's daily standup is posted: a local time (`HH:MM`, 24-hour) in an IANA time
/// zone (`Europe/Berlin`). Unset parts keep their value (09:00 UTC for a new project).
#[derive(Debug, Clone, Default)]
pub struct StandupSchedule {
    pub time: Option<String>,
    pub timezone: Option<String>,
}

/// What [`parse_standup_time`] accepts, as a regular expression (for the API's document).
pub fn standup_time_pattern() -> String {
    mc_domain::patterns::trimmed("(?:[01][0-9]|2[0-3]):[0-5][0-9]")
}

/// The time zone names [`parse_standup_timezone`] accepts.
pub fn standup_timezones() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// How a standup time is read and written (in the API and the audit log): `HH:MM`, 24-hour.
const STANDUP_TIME_FORMAT: &str = "%H:%M";

/// `HH:MM`, 24-hour: `09:00`, `17:30`.
fn parse_standup_time(input: &str) -> AppResult<NaiveTime> {
    let input = input.trim();
    let shaped = input.len() == 5 && input.as_bytes()[2] == b':' && input.bytes().filter(u8::is_ascii_digit).count() == 4;
    shaped
        .then(|| NaiveTime::parse_from_str(input, STANDUP_TIME_FORMAT).ok())
        .flatten()
        .ok_or_else(|| AppError::validation("standupTime", Msg::new("err-standup-time").with("input", input)))
}

/// An IANA time zone name, exactly (`UTC`, `Europe/Berlin`); never a silent fallback to UTC.
fn parse_standup_timezone(input: &str) -> AppResult<Tz> {
    let input = input.trim();
    input.parse::<Tz>().map_err(|_| {
        let hint = chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(input))
            .map(|tz| tz.name());
        let message = match hint {
            Some(tz) => Msg::new("err-time-zone-did-you-mean").with("input", input).with("suggestion", tz),
            None => Msg::new("err-time-zone").with("input", input),
        };
        AppError::validation("standupTimezone", message)
    })
}

/// The schedule's parts, checked.
fn parse_schedule(schedule: &StandupSchedule) -> AppResult<(Option<NaiveTime>, Option<Tz>)> {
    Ok((
        schedule.time.as_deref().map(parse_standup_time).transpose()?,
        schedule.timezone.as_deref().map(parse_standup_timezone).transpose()?,
    ))
}

impl App {
    pub async fn create_project(&self, actor: &Actor, input: CreateProject) -> AppResult<Project> {
        self.create_project_with(actor, input, StandupSchedule::default()).await
    }

    /// Creates a project with its standup time and time zone (unset: 09:00 UTC).
    pub async fn create_project_with(&self, actor: &Actor, input: CreateProject, schedule: StandupSchedule) -> AppResult<Project> {
        require(actor, Right::ManageProjects)?;
        let (time, tz) = parse_schedule(&schedule)?;
        let slug = ProjectSlug::parse(&input.slug)?;
        let name = ProjectName::parse(&input.name)?;
        let description = ProjectDescription::parse_optional(&input.description)?;
        let mut w = Work::begin(self, actor).await?;
        if storage::projects::by_slug(w.conn(), slug.as_str()).await?.is_some() {
            return Err(AppError::conflict(
                "already_exists",
                Msg::new("err-project-exists").with("slug", &slug),
            ));
        }
        let now = w.now;
        let mut project = storage::projects::insert(
            w.conn(),
            slug.as_str(),
            name.as_str(),
            description.as_ref().map_or("", ProjectDescription::as_str),
            now,
        )
        .await?;
        if time.is_some() || tz.is_some() {
            project = storage::projects::set_standup(w.conn(), project.id, time, tz.map(|tz| tz.name()), now).await?;
        }
        w.audit(
            Some(project.id),
            "project.created",
            "project",
            project.id,
            json!({ "slug": slug, "name": name, "standupTime": project.standup_time.format(STANDUP_TIME_FORMAT).to_string(),
                    "standupTimezone": project.standup_timezone }),
        )
        .await?;
        w.commit().await?;
        Ok(project)
    }

    /// Changes when a project's standup is posted (CAO only).
    pub async fn set_project_standup(&self, actor: &Actor, project_id: uuid::Uuid, schedule: StandupSchedule) -> AppResult<Project> {
        require(actor, Right::ManageProjects)?;
        if schedule.time.is_none() && schedule.timezone.is_none() {
            return Err(AppError::validation("standup", Msg::new("err-standup-nothing-to-change")));
        }
        let (time, tz) = parse_schedule(&schedule)?;
        let mut w = Work::begin(self, actor).await?;
        let now = w.now;
        let before = storage::projects::lock(w.conn(), project_id)
            .await?
            .ok_or_else(|| AppError::not_found("project", project_id))?;
        let project = storage::projects::set_standup(w.conn(), project_id, time, tz.map(|tz| tz.name()), now).await?;
        let shown = |p: &Project| json!({ "standupTime": p.standup_time.format(STANDUP_TIME_FORMAT).to_string(), "standupTimezone": p.standup_timezone });
        w.audit(
            Some(project_id),
            "project.standup_set",
            "project",
            project_id,
            json!({ "from": shown(&before), "to": shown(&project) }),
        )
        .await?;
        w.commit().await?;
        Ok(project)
    }

    /// The project a slug names, with the known slugs as a hint when there is none.
    pub async fn project_by_slug(&self, slug: &str) -> AppResult<Project> {
        let mut conn = self.pool.acquire().await?;
        // What is not a slug names no project (and is not sent to the database).
        if let Ok(slug) = ProjectSlug::parse(slug) {
            if let Some(project) = storage::projects::by_slug(&mut conn, slug.as_str()).await? {
                return Ok(project);
            }
        }
        let known: Vec<String> = storage::projects::list(&mut conn).await?.into_iter().map(|p| p.slug).collect();
        Err(AppError::not_found_among(
            "project",
            format!("'{}'", slug.trim()),
            &known,
            "err-hint-no-projects",
        ))
    }

    pub async fn project_by_id(&self, id: uuid::Uuid) -> AppResult<Project> {
        let mut conn = self.pool.acquire().await?;
        storage::projects::by_id(&mut conn, id)
            .await?
            .ok_or_else(|| AppError::not_found("project", id))
    }

    pub async fn list_projects(&self, actor: &Actor) -> AppResult<Vec<Project>> {
        let mut conn = self.pool.acquire().await?;
        let projects = storage::projects::list(&mut conn).await?;
        Ok(match actor {
            Actor::Agent { project_id, .. } => projects.into_iter().filter(|p| p.id == *project_id).collect(),
            _ => {
                require(actor, Right::Read)?;
                projects
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standup_patterns_accept_exactly_what_the_parsers_accept() {
        let time = regex::Regex::new(&standup_time_pattern()).unwrap();
        let mut inputs: Vec<String> = (0..=25)
            .flat_map(|h| (0..=61).step_by(1).map(move |m| format!("{h:02}:{m:02}")))
            .collect();
        inputs.extend(
            [
                "9:00",
                "09:0",
                "0900",
                " 09:00\n",
                "\t23:59",
                "09:00:00",
                "",
                "ab:cd",
                "09-00",
                "+9:00",
                "09:00\u{b}",
            ]
            .map(String::from),
        );
        for input in &inputs {
            assert_eq!(time.is_match(input), parse_standup_time(input).is_ok(), "{input:?}");
        }
        for zone in standup_timezones() {
            assert!(parse_standup_timezone(zone).is_ok(), "{zone}");
        }
        for not_listed in ["utc", "europe/berlin", "Europe/Atlantis", "", "UTC+1"] {
            assert!(parse_standup_timezone(not_listed).is_err(), "{not_listed}");
        }
    }
}
