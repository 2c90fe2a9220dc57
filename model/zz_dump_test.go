package model
import ("testing";"fmt")
func TestZZDump(t *testing.T){
 m,err:=Load("../../shared/models/stories260Ktok512.gguf")
 if err!=nil{t.Fatal(err)}
 fmt.Println(m)
 fmt.Println(m.Tokenize("Once upon a time, there was"), m.TokenStrings(m.Tokenize("Once upon a time, there was a naïve 🙂 cat\n")))
 s,err:=m.Generate("",100); fmt.Printf("interleaved: %q %v\n",s,err)
 m.ropeHalf=true
 s,err=m.Generate("",100); fmt.Printf("half: %q %v\n",s,err)
}
