a
%{ for p in ["x","y"] ~}
  ${p}:
%{ endfor ~}
z
