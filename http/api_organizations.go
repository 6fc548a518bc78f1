package http

import (
	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

func (api *API) createOrganization(c *call) (result, error) {
	var in organizationRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	o, err := api.app.CreateOrganization(c.r.Context(), c.p, in.Name)
	if err != nil {
		return result{}, err
	}
	return created(toOrganization(o))
}

func (api *API) getOrganization(c *call) (result, error) {
	o, err := api.app.Organization(c.r.Context(), c.p)
	if err != nil {
		return result{}, err
	}
	return ok(toOrganization(o))
}

func (api *API) updateOrganization(c *call) (result, error) {
	var in organizationUpdateRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	u := app.OrganizationUpdate{Name: in.Name}
	if in.DefaultAccess != nil {
		r := tandem.DocRole(*in.DefaultAccess)
		u.DefaultAccess = &r
	}
	o, err := api.app.UpdateOrganization(c.r.Context(), c.p, u)
	if err != nil {
		return result{}, err
	}
	return ok(toOrganization(o))
}

func (api *API) listMembers(c *call) (result, error) {
	limit, err := c.queryInt("limit")
	if err != nil {
		return result{}, err
	}
	page, err := api.app.ListMembers(c.r.Context(), c.p, c.query("cursor"), limit)
	if err != nil {
		return result{}, err
	}
	out := memberPageJSON{Items: []memberJSON{}, NextCursor: optional(page.NextCursor)}
	for _, m := range page.Items {
		out.Items = append(out.Items, toMember(m))
	}
	return ok(out)
}

func (api *API) setRole(c *call) (result, error) {
	var in roleRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	userID := c.path("user_id")
	if err := api.app.SetRole(c.r.Context(), c.p, userID, tandem.Role(in.Role)); err != nil {
		return result{}, err
	}
	m, err := api.app.Member(c.r.Context(), c.p, userID)
	if err != nil {
		return result{}, err
	}
	return ok(toMember(m))
}

func (api *API) removeMember(c *call) (result, error) {
	if err := api.app.RemoveMember(c.r.Context(), c.p, c.path("user_id")); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) listInvitations(c *call) (result, error) {
	invs, err := api.app.ListInvitations(c.r.Context(), c.p)
	if err != nil {
		return result{}, err
	}
	out := invitationListJSON{Items: []invitationJSON{}}
	for _, i := range invs {
		out.Items = append(out.Items, toInvitation(i, ""))
	}
	return ok(out)
}

func (api *API) invite(c *call) (result, error) {
	var in inviteRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	inv, err := api.app.Invite(c.r.Context(), c.p, in.Email, tandem.Role(in.Role))
	if err != nil {
		return result{}, err
	}
	return created(toInvitation(inv.Invitation, inv.Token))
}

func (api *API) revokeInvitation(c *call) (result, error) {
	if err := api.app.RevokeInvitation(c.r.Context(), c.p, c.path("id")); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) lookupInvitation(c *call) (result, error) {
	var in invitationTokenRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	info, err := api.app.LookupInvitation(c.r.Context(), in.Token)
	if err != nil {
		return result{}, err
	}
	return ok(invitationInfoJSON{OrganizationName: info.OrganizationName, Email: info.Email, Role: string(info.Role), HasAccount: info.HasAccount})
}

func (api *API) acceptInvitation(c *call) (result, error) {
	var in acceptRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	res, err := api.app.AcceptInvitation(c.r.Context(), app.AcceptInput{Token: in.Token, Name: in.Name, Password: in.Password,
		IP: clientIP(c.r), UserAgent: c.r.UserAgent()})
	if err != nil {
		return result{}, err
	}
	return created(api.session(c, res))
}

func (api *API) joinInvitation(c *call) (result, error) {
	var in invitationTokenRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	m, err := api.app.JoinInvitation(c.r.Context(), c.p, in.Token)
	if err != nil {
		return result{}, err
	}
	return ok(membershipJSON{Organization: toOrganization(m.Organization), Role: string(m.Role)})
}

func (api *API) listAudit(c *call) (result, error) {
	limit, err := c.queryInt("limit")
	if err != nil {
		return result{}, err
	}
	page, err := api.app.ListAudit(c.r.Context(), c.p, tandem.AuditAction(c.query("action")), c.query("cursor"), limit)
	if err != nil {
		return result{}, err
	}
	out := auditPageJSON{Items: []auditJSON{}, NextCursor: optional(page.NextCursor)}
	for _, e := range page.Items {
		out.Items = append(out.Items, toAudit(e))
	}
	return ok(out)
}
