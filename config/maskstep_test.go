package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestMaskStepMasksEveryString: every string a step holds, in any key, is
// masked by MaskStep, apart from the keywords and metric labels that no
// reference is filled in and validation holds to fixed words. A key added
// to Step fails here until MaskStep masks it or it is named below.
func TestMaskStepMasksEveryString(t *testing.T) {
	const secret = "Zq7secretVal"
	keywords := map[string]bool{"Name": true, "Touchpoint": true, "Action": true, "Button": true, "DeviceType": true, "Operator": true, "Modifiers": true}
	secrets := newSecrets([]string{secret})
	var step Step
	v := reflect.ValueOf(&step).Elem()
	for i := range v.NumField() {
		f, field := v.Field(i), v.Type().Field(i)
		if !field.IsExported() || keywords[field.Name] {
			continue
		}
		setSecret(f, "#"+secret)
	}
	step.FieldOrder = nil
	for k := range step.Fields {
		step.FieldOrder = append(step.FieldOrder, k)
	}
	before, _ := json.Marshal(step)
	if !strings.Contains(string(before), secret) {
		t.Fatal("the step holds no secret to mask")
	}
	masked, ok := secrets.MaskStep(&step)
	if !ok {
		t.Error("MaskStep says it masked nothing")
	}
	after, _ := json.Marshal(masked)
	if strings.Contains(string(after), secret) {
		t.Errorf("the masked step holds the secret:\n%s", after)
	}
	if again, _ := json.Marshal(step); string(again) != string(before) {
		t.Errorf("MaskStep changed the step it was given:\n%s\nwas\n%s", again, before)
	}
	if strings.Join(masked.FieldOrder, ",") != "#"+Masked {
		t.Errorf("field order %q, want the masked key", masked.FieldOrder)
	}
}

// setSecret puts s into every string that v, a field of Step, can hold.
func setSecret(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String || v.Type().Elem().Kind() == reflect.Slice {
			e := reflect.New(v.Type().Elem()).Elem()
			setSecret(e, s)
			v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		val := reflect.New(v.Type().Elem()).Elem()
		if val.Kind() == reflect.Interface {
			val = reflect.ValueOf(any(s))
		} else {
			setSecret(val, s)
		}
		m.SetMapIndex(reflect.ValueOf(s), val)
		v.Set(m)
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct {
			p := reflect.New(v.Type().Elem())
			for i := range p.Elem().NumField() {
				if p.Elem().Type().Field(i).IsExported() {
					setSecret(p.Elem().Field(i), s)
				}
			}
			v.Set(p)
		}
	}
}
