package http

import (
	"time"

	"github.com/tandem-docs/tandem"
	"github.com/tandem-docs/tandem/app"
)

// session answers a new session: the cookie for browsers, the CSRF token
// for the web app's writes.
func (api *API) session(c *call, res app.LoginResult) sessionJSON {
	api.setSession(c, res.Token, res.Session.ExpiresAt)
	return sessionJSON{User: toUser(res.User), OrganizationID: optional(res.Session.OrganizationID),
		CSRFToken: csrfToken(res.Token), ExpiresAt: res.Session.ExpiresAt}
}

func (api *API) signUp(c *call) (result, error) {
	var in signUpRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	res, err := api.app.SignUp(c.r.Context(), app.SignUpInput{Email: in.Email, Password: in.Password, Name: in.Name,
		OrganizationName: in.OrganizationName, IP: clientIP(c.r), UserAgent: c.r.UserAgent()})
	if err != nil {
		return result{}, err
	}
	return created(api.session(c, res))
}

func (api *API) login(c *call) (result, error) {
	var in loginRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	res, err := api.app.Login(c.r.Context(), app.LoginInput{Email: in.Email, Password: in.Password, IP: clientIP(c.r), UserAgent: c.r.UserAgent()})
	if err != nil {
		return result{}, err
	}
	if res.MFAToken != "" {
		return ok(loginJSON{MFARequired: true, MFAToken: &res.MFAToken})
	}
	s := api.session(c, res)
	return ok(loginJSON{Session: &s})
}

func (api *API) loginMFA(c *call) (result, error) {
	var in mfaRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	res, err := api.app.CompleteLogin(c.r.Context(), in.MFAToken, in.Code, clientIP(c.r), c.r.UserAgent())
	if err != nil {
		return result{}, err
	}
	return ok(api.session(c, res))
}

func (api *API) logout(c *call) (result, error) {
	if err := api.app.Logout(c.r.Context(), c.p); err != nil {
		return result{}, err
	}
	api.clearSession(c)
	return noContent()
}

func (api *API) meJSON(c *call) (meJSON, error) {
	me, err := api.app.CurrentUser(c.r.Context(), c.p)
	if err != nil {
		return meJSON{}, err
	}
	j := meJSON{User: toUser(me.User), OrganizationID: optional(c.p.OrganizationID), Role: optional(string(c.p.Role)),
		Organizations: []membershipJSON{}}
	for _, m := range me.Organizations {
		j.Organizations = append(j.Organizations, membershipJSON{Organization: toOrganization(m.Organization), Role: string(m.Role)})
	}
	if c.cookie {
		if ck, err := c.r.Cookie(SessionCookie); err == nil {
			j.CSRFToken = optional(csrfToken(ck.Value))
		}
	}
	return j, nil
}

func (api *API) me(c *call) (result, error) {
	j, err := api.meJSON(c)
	if err != nil {
		return result{}, err
	}
	return ok(j)
}

func (api *API) updateMe(c *call) (result, error) {
	var in profileRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	if err := api.app.UpdateProfile(c.r.Context(), c.p, in.Name); err != nil {
		return result{}, err
	}
	return api.me(c)
}

func (api *API) changePassword(c *call) (result, error) {
	var in passwordRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	if err := api.app.ChangePassword(c.r.Context(), c.p, in.CurrentPassword, in.NewPassword); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) switchOrganization(c *call) (result, error) {
	var in switchRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	p, err := api.app.SwitchOrganization(c.r.Context(), c.p, in.OrganizationID)
	if err != nil {
		return result{}, err
	}
	c.p = p
	return api.me(c)
}

func (api *API) beginTOTP(c *call) (result, error) {
	s, err := api.app.BeginTOTP(c.r.Context(), c.p)
	if err != nil {
		return result{}, err
	}
	return ok(totpSetupJSON{Secret: s.Secret, URL: s.URL})
}

func (api *API) enableTOTP(c *call) (result, error) {
	var in codeRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	codes, err := api.app.EnableTOTP(c.r.Context(), c.p, in.Code)
	if err != nil {
		return result{}, err
	}
	return ok(recoveryCodesJSON{RecoveryCodes: codes})
}

func (api *API) disableTOTP(c *call) (result, error) {
	var in passwordCodeRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	if err := api.app.DisableTOTP(c.r.Context(), c.p, in.Password, in.Code); err != nil {
		return result{}, err
	}
	return noContent()
}

func (api *API) regenerateRecoveryCodes(c *call) (result, error) {
	var in passwordOnlyRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	codes, err := api.app.RegenerateRecoveryCodes(c.r.Context(), c.p, in.Password)
	if err != nil {
		return result{}, err
	}
	return ok(recoveryCodesJSON{RecoveryCodes: codes})
}

func (api *API) listTokens(c *call) (result, error) {
	ts, err := api.app.ListAPITokens(c.r.Context(), c.p)
	if err != nil {
		return result{}, err
	}
	out := tokenListJSON{Items: []tokenJSON{}}
	for _, t := range ts {
		out.Items = append(out.Items, toToken(t, ""))
	}
	return ok(out)
}

func (api *API) createToken(c *call) (result, error) {
	var in tokenRequest
	if err := c.decode(&in); err != nil {
		return result{}, err
	}
	var exp *time.Time
	if in.ExpiresAt != nil {
		exp = in.ExpiresAt
	}
	t, err := api.app.CreateAPIToken(c.r.Context(), c.p, in.Name, tandem.TokenScope(in.Scope), exp)
	if err != nil {
		return result{}, err
	}
	return created(toToken(t.APIToken, t.Token))
}

func (api *API) deleteToken(c *call) (result, error) {
	if err := api.app.DeleteAPIToken(c.r.Context(), c.p, c.path("id")); err != nil {
		return result{}, err
	}
	return noContent()
}
