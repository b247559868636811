//! The route table: every route of the portal is added through [`Routes`],
//! which keeps its path and the ids its form or query carries beside the
//! router. The access matrix test (`tests/tests/suite/access.rs`) is
//! generated from this table, so a new route with an id is tried by another
//! family, by a family on the agents' side and by an agent of the other
//! service the day it is added.

use axum::Router;
use axum::routing::MethodRouter;
use shared::App;

/// One route: its path (axum's syntax, ids in braces) and the names of the
/// ids its form or query carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub path: &'static str,
    pub form_ids: &'static [&'static str],
}

impl Route {
    /// The ids the path takes (`{numero}`, `{id}`…).
    pub fn path_ids(&self) -> Vec<&'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect()
    }

    /// Whether the route reaches an object by an id.
    pub fn takes_ids(&self) -> bool {
        !self.form_ids.is_empty() || self.path.contains('{')
    }
}

/// A router and its table, built together.
#[derive(Default)]
pub struct Routes {
    router: Router<App>,
    table: Vec<Route>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// A route whose form and query carry no id.
    pub fn route(self, path: &'static str, handler: MethodRouter<App>) -> Self {
        self.route_with_ids(path, &[], handler)
    }

    /// A route whose form or query carries the ids named (a child, a cell
    /// of the planning…).
    pub fn route_with_ids(
        mut self,
        path: &'static str,
        form_ids: &'static [&'static str],
        handler: MethodRouter<App>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.table.push(Route { path, form_ids });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[Route] {
        &self.table
    }

    pub fn with_state(self, app: App) -> Router {
        self.router.with_state(app)
    }
}
