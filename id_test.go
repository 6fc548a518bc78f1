package tandem

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestNewIDSortsByTimeAndIsValid(t *testing.T) {
	seen := map[string]bool{}
	prev := NewID()
	for range 1000 {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q is not ValidID", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		prev = id
	}
	time.Sleep(2 * time.Millisecond)
	if later := NewID(); later <= prev {
		t.Fatalf("id made later %q sorts before %q", later, prev)
	}
	for _, bad := range []string{"", "x", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "8zzzzzzzzzzzzzzzzzzzzzzzzz", "0000000000000000000000000i", "000000000000000000000000000", "../../etc/passwd"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestErrorCodes(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", Errorf(CodeNotFound, "document %s not found", "x"))
	if ErrorCode(err) != CodeNotFound || !errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) {
		t.Fatalf("ErrorCode/Is broken for %v", err)
	}
	if ErrorCode(errors.New("disk on fire")) != CodeInternal || ErrorCode(nil) != "" {
		t.Fatal("ErrorCode of plain errors")
	}
	inv := Invalid("title", "too long")
	var e *Error
	if !errors.As(inv, &e) || e.Field != "title" || e.Code != CodeInvalid || e.Error() != "invalid: too long (title)" {
		t.Fatalf("Invalid = %#v", inv)
	}
}

func TestRoleOrder(t *testing.T) {
	if !(RoleOwner.Rank() > RoleAdmin.Rank() && RoleAdmin.Rank() > RoleMember.Rank() && RoleMember.Rank() > RoleGuest.Rank() && Role("x").Rank() == 0) {
		t.Fatal("role ranks out of order")
	}
	if !DocRoleOwner.AtLeast(DocRoleViewer) || DocRoleViewer.AtLeast(DocRoleEditor) || DocRoleNone.AtLeast(DocRoleNone) {
		t.Fatal("AtLeast broken")
	}
	if MaxDocRole(DocRoleViewer, DocRoleEditor) != DocRoleEditor || MaxDocRole(DocRoleOwner, DocRoleNone) != DocRoleOwner {
		t.Fatal("MaxDocRole broken")
	}
	if TitleKey("  Hello World") != "hello world" {
		t.Fatal("TitleKey")
	}
}
