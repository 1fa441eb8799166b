%{ for i in items }${i}, %{ endfor }
