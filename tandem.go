// Package tandem holds the domain of Tandem, a self-hostable collaborative
// document platform: the types people work with (users, organizations,
// documents, folders, shares, audit events) and the small store interfaces
// that the storage drivers (package sqlite, package postgres, ...) implement.
//
// The package imports no driver. Business rules live in package app, which
// runs over these interfaces; the contract every store implementation must
// meet is the shared test suite in package tandemtest.
//
// The organization is the tenant boundary: every tenant row carries an
// organization id and every store method that reads or changes tenant data
// takes the organization id and filters by it. The exceptions are identities
// and their secrets (users, sessions, recovery codes), because one person may
// belong to several organizations, and the lookups that turn an unguessable
// secret (session, API token, invitation or public link token) into the row
// that names its organization.
package tandem
