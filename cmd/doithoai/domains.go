package main

import "github.com/go-chi/chi/v5"

// mountDomains mounts every domain's routes.
func (a *app) mountDomains(r chi.Router) {
}
