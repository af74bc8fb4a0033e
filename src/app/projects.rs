use super::model::Project;
use super::work::Work;
use super::{require, App, AppError, AppResult};
use crate::domain::{Actor, ProjectName, ProjectSlug, Right};
use crate::storage;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct CreateProject {
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl App {
    pub async fn create_project(&self, actor: &Actor, input: CreateProject) -> AppResult<Project> {
        require(actor, Right::ManageProjects)?;
        let slug = ProjectSlug::parse(&input.slug)?;
        let name = ProjectName::parse(&input.name)?;
        if input.description.chars().count() > 2000 {
            return Err(AppError::validation("description", "must be at most 2000 characters"));
        }
        let mut w = Work::begin(self, actor).await?;
        if storage::projects::by_slug(w.conn(), slug.as_str()).await?.is_some() {
            return Err(AppError::conflict(
                "already_exists",
                format!("a project with slug '{slug}' already exists"),
            ));
        }
        let now = w.now;
        let project = storage::projects::insert(w.conn(), slug.as_str(), name.as_str(), input.description.trim(), now).await?;
        w.audit(
            Some(project.id),
            "project.created",
            "project",
            project.id,
            json!({ "slug": slug, "name": name }),
        )
        .await?;
        w.commit().await?;
        Ok(project)
    }

    /// The project a slug names, with the known slugs as a hint when there is none.
    pub async fn project_by_slug(&self, slug: &str) -> AppResult<Project> {
        let mut conn = self.pool.acquire().await?;
        if let Some(project) = storage::projects::by_slug(&mut conn, slug.trim()).await? {
            return Ok(project);
        }
        let known: Vec<String> = storage::projects::list(&mut conn).await?.into_iter().map(|p| p.slug).collect();
        Err(AppError::NotFound {
            entity: "project",
            key: format!("'{}'", slug.trim()),
            hint: Some(if known.is_empty() {
                "no projects exist yet".into()
            } else {
                format!("known: {}", known.join(", "))
            }),
        })
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
