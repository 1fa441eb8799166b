A %{ for p in ["x","y"] ~}   

  ${p} %{~ endfor } B
