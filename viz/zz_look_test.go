package viz
import ("testing";"os")
func TestLookX(t *testing.T) {
	f := Masks(4, 3, Size(900, 400))
	os.WriteFile("/tmp/look/masksize.png", f.PNG(), 0644)
	t.Log(f)
}
