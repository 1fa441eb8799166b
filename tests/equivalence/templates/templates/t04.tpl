start
%{ if on ~}
  yes
%{ else ~}
  no
%{ endif ~}
end
