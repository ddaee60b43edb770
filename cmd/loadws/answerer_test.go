package main

import "testing"

// TestAnswererTakesQuestionsInTurn: consecutive answers go to different
// questions, so eight concurrent senders do not queue on one question's
// row lock; a single question (the outage mode) is answered every time.
func TestAnswererTakesQuestionsInTurn(t *testing.T) {
	a := &answerer{questions: []int64{11, 12, 13}}
	var got []int64
	for range 7 {
		got = append(got, a.questionFor())
	}
	want := []int64{11, 12, 13, 11, 12, 13, 11}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("questions %v, want %v", got, want)
		}
	}
	one := &answerer{question: 7}
	if q := one.questionFor(); q != 7 {
		t.Fatalf("single question: %d, want 7", q)
	}
}
